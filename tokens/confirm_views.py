"""Confirmation pages for the two account actions of /integrations/: Disconnect and Uninstall
for me. Each says what will happen and posts to the action's own view (tokens/views.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tokens import selectors
from tokens.views import _integration_name, _next, _no_team, _team

DISCONNECT_TITLE = "Disconnect your {integration} account?"
DISCONNECT_CONSEQUENCES = (
    "Conduit revokes this account's {integration} tokens at {integration} and deletes them.",
    "{integration} stays available to you in {team}: connect again at any time, with this or "
    "another account.",
    "Cards stay on the boards; opening one asks you to connect first.",
)
UNINSTALL_TITLE = "Uninstall {integration} for you?"
UNINSTALL_CONSEQUENCES = (
    "You stop using {integration} in {team}: your account is disconnected too (its tokens "
    "revoked and deleted).",
    "The Integrations page shows {integration} as removed for you; connect again if you change "
    "your mind.",
    "It stays installed for everyone else in {team}: only a team admin uninstalls it for the "
    "whole team, in the console.",
)


def _confirm(request: HttpRequest, integration: str, *, title: str, consequences: tuple[str, ...],
             action: str, confirm_label: str) -> HttpResponse:
    name = _integration_name(integration)
    team = _team(request)
    if team is None:
        return _no_team(request, name)
    account = selectors.account_get(user=request.user, team=team, integration=integration)
    next_url = _next(request)
    words = {"integration": name, "team": team.name}
    return render(request, "tokens/confirm.html", {
        "title": title.format(**words),
        "consequences": [line.format(**words) for line in consequences],
        "account": account,
        "team": team,
        "integration_name": name,
        "action_url": reverse(action, args=[integration]),
        "confirm_label": confirm_label,
        "next": next_url,
        "cancel_url": next_url or reverse("tokens:integrations"),
    })


@login_required
@require_GET
def disconnect_confirm(request: HttpRequest, integration: str) -> HttpResponse:
    return _confirm(request, integration, title=DISCONNECT_TITLE,
                    consequences=DISCONNECT_CONSEQUENCES, action="tokens:disconnect",
                    confirm_label="Disconnect")


@login_required
@require_GET
def uninstall_for_me_confirm(request: HttpRequest, integration: str) -> HttpResponse:
    return _confirm(request, integration, title=UNINSTALL_TITLE,
                    consequences=UNINSTALL_CONSEQUENCES, action="tokens:uninstall_for_me",
                    confirm_label="Uninstall for me")
