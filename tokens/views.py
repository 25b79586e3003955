"""Browser pages of the account lifecycle: /integrations/, connect, callback, disconnect.

Thin: parse the request, call one service, render a page or redirect. Domain errors become a
page with the error's message and status. The callback answers with `Referrer-Policy:
no-referrer` and, on success, a 302 to a URL without the code or the state.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals import errors as approval_errors
from approvals import services as approval_services
from approvals.audit import client_ip
from approvals.audit_actions import RevocationReason
from approvals.catalog import catalog_entry
from approvals.decisions import integration_access_decide
from approvals.models import Team
from approvals.selectors import teams_of
from config.errors import ApplicationError
from config.inputs import parse_id, safe_next
from tokens import errors, selectors, services
from tokens.conf import token_settings
from tokens.consent import disclosure_for
from tokens.flow import flow_begin, flow_take

DISCONNECTED = "{integration} is disconnected: its tokens were revoked and deleted."
NOT_CONNECTED = "{integration} was not connected."
CONNECTED = "{integration} is connected as {account}."
UNINSTALLED_FOR_ME = "{integration} is removed for you in {team}."
# The pre-consent page's Continue: a GET link (a form's POST answered by a redirect to the
# provider would break the CSP's form-action 'self'); only then to the provider.
CONSENT_CONTINUE = "continue"


def _integration_name(integration: str) -> str:
    entry = catalog_entry(integration)
    if entry is None:
        raise Http404("No such integration")
    return entry.name


def _team(request: HttpRequest) -> Team | None:
    """The team named by ?team= / the form's team among the user's teams, else the first one."""
    teams = teams_of(request.user).order_by("name")
    wanted = request.POST.get("team") or request.GET.get("team")
    if wanted:
        # Only ASCII digits: "²".isdigit() is true, and int("²") raises.
        team_id = parse_id(wanted)
        return teams.filter(pk=team_id).first() if team_id is not None else None
    return teams.first()


def _next(request: HttpRequest) -> str:
    """The form's or the query's `next` when it is a page of this site, else "" (read before a
    view acts, so an unusable value can never fail a request whose work is done)."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _no_team(request: HttpRequest, name: str) -> HttpResponse:
    asked = request.POST.get("team") or request.GET.get("team")
    message = approval_errors.NOT_A_MEMBER if asked else errors.NO_TEAM
    return _problem(request, message, status=403, integration=name)


def _problem(request: HttpRequest, message: str, *, status: int, integration: str = "",
             title: str = "Could not connect") -> HttpResponse:
    return render(request, "tokens/problem.html",
                  {"title": title, "message": message, "integration": integration,
                   "integrations_url": reverse("tokens:integrations")}, status=status)


def _pre_consent(request: HttpRequest, *, integration: str, name: str, team: Team,
                 next_url: str) -> HttpResponse:
    """Conduit's own page before the provider's consent page: what is read, what is stored,
    why each scope is asked; Continue comes back here with consent=continue, Cancel goes back
    where the user was."""
    disclosure = disclosure_for(integration=integration, name=name,
                                retention_days=token_settings.TOKEN_RETENTION_DAYS)
    query = {"team": team.pk, "consent": CONSENT_CONTINUE, **({"next": next_url} if next_url else {})}
    return render(request, "tokens/pre_consent.html", {
        "disclosure": disclosure, "team": team,
        "continue_url": f"{reverse('tokens:connect', args=[integration])}?{urlencode(query)}",
        "cancel_url": next_url or reverse("tokens:integrations"),
    })


def _back(next_url: str) -> HttpResponseRedirect:
    """To `next_url` (already checked by _next), else the integrations page. Never
    django.shortcuts.redirect(), which takes a bare word for a view name to reverse."""
    return HttpResponseRedirect(next_url or reverse("tokens:integrations"))


def _team_action(request: HttpRequest, integration: str, *, title: str,
                 act: Callable[[Team, str], str | None]) -> HttpResponse:
    """The frame of a POST that acts for the chosen team: `act(team, name)` calls the service
    and answers the success message (or None); no team or a domain error gives the problem page
    titled `title`; otherwise back to `next`."""
    name = _integration_name(integration)
    next_url = _next(request)
    team = _team(request)
    if team is None:
        return _no_team(request, name)
    try:
        message = act(team, name)
    except ApplicationError as error:
        return _problem(request, error.message, status=error.http_status, integration=name,
                        title=title)
    if message:
        messages.success(request, message)
    return _back(next_url)


@login_required
@require_GET
def integrations_page(request: HttpRequest) -> HttpResponse:
    overview = selectors.integrations_overview(user=request.user)
    return render(request, "tokens/integrations.html", {"overview": overview})


@login_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest, integration: str) -> HttpResponse:
    """With the integration installed: the pre-consent page, whose Continue (a GET with
    consent=continue) goes on to the provider. Otherwise GET shows what is needed and its form
    POSTs here: a member asks for an install; an admin installs, then sees the pre-consent page."""
    name = _integration_name(integration)
    team = _team(request)
    if team is None:
        return _no_team(request, name)
    next_url = _next(request)
    source_ip = client_ip(request)
    try:
        decision = integration_access_decide(user=request.user, team=team,
                                             integration=integration).raise_if_refused()
        if not decision.usable:
            if request.method == "GET":
                state = selectors.integration_state(user=request.user, team=team,
                                                    integration=integration)
                return render(request, "tokens/connect_approval.html",
                              {"state": state, "team": team, "next": next_url})
            outcome = services.account_connect_prepare(
                user=request.user, team=team, integration=integration, source_ip=source_ip
            )
            if outcome == "requested":
                return render(request, "tokens/install_requested.html", {
                    "message": errors.INSTALL_REQUESTED.format(integration=name, team=team.name),
                    "team": team,
                })
            messages.success(request, errors.INSTALLED_BY_ADMIN.format(integration=name,
                                                                       team=team.name))
        if request.method != "GET" or request.GET.get("consent") != CONSENT_CONTINUE:
            return _pre_consent(request, integration=integration, name=name, team=team,
                                next_url=next_url)
        redirect_uri = request.build_absolute_uri(reverse("tokens:callback", args=[integration]))
        start = services.account_connect_start(
            user=request.user, team=team, integration=integration, redirect_uri=redirect_uri
        )
    except ApplicationError as error:
        return _problem(request, error.message, status=error.http_status, integration=name)
    flow_begin(request.session, integration=integration, team_id=team.pk, start=start,
               next_url=next_url)
    response = HttpResponseRedirect(start.url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def callback(request: HttpRequest, integration: str) -> HttpResponse:
    """The provider sends the browser back here with a code (or verifier) and the state."""
    name = _integration_name(integration)
    params = {key: value for key, value in request.GET.items()}
    source_ip = client_ip(request)
    team = None
    if not request.user.is_authenticated:
        services.account_connect_refused(user=None, team=None, integration=integration,
                                         reason="not_signed_in", source_ip=source_ip)
        response = _problem(request, errors.FLOW_NOT_SIGNED_IN.format(integration=name),
                            status=403, integration=name)
    else:
        try:
            flow = flow_take(request.session, integration=integration, params=params,
                             provider_name=name)
            team = teams_of(request.user).filter(pk=flow.team_id).first()
            if team is None:
                raise errors.ConnectFlowRefused(errors.FLOW_STATE_MISSING, reason="not_a_member")
            redirect_uri = request.build_absolute_uri(
                reverse("tokens:callback", args=[integration])
            )
            account = services.account_connect_finish(
                user=request.user, team=team, integration=integration, params=params,
                start=flow.start, redirect_uri=redirect_uri, source_ip=source_ip,
            )
        except ApplicationError as error:
            reason = getattr(error, "reason", error.code)
            services.account_connect_refused(user=request.user, team=team,
                                             integration=integration, reason=reason,
                                             source_ip=source_ip)
            response = _problem(request, error.message, status=error.http_status,
                                integration=name)
        else:
            messages.success(request, CONNECTED.format(
                integration=name, account=account.provider_account_name or "your account"))
            response = HttpResponseRedirect(flow.next_url or reverse("tokens:integrations"))
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_POST
def disconnect(request: HttpRequest, integration: str) -> HttpResponse:
    name = _integration_name(integration)
    next_url = _next(request)
    team = _team(request)
    account = (
        selectors.account_get(user=request.user, team=team, integration=integration)
        if team else None
    )
    if account is None:
        messages.info(request, NOT_CONNECTED.format(integration=name))
    else:
        services.account_revoke(account=account, acting_user=request.user, reason=RevocationReason.DISCONNECT,
                                source_ip=client_ip(request))
        messages.success(request, DISCONNECTED.format(integration=name))
    return _back(next_url)


@login_required
@require_POST
def uninstall_for_me(request: HttpRequest, integration: str) -> HttpResponse:
    def act(team: Team, name: str) -> str:
        approval_services.integration_uninstall_for_me(
            team=team, integration=integration, acting_user=request.user,
            source_ip=client_ip(request),
        )
        return UNINSTALLED_FOR_ME.format(integration=name, team=team.name)

    return _team_action(request, integration, title="Could not remove", act=act)


@login_required
@require_POST
def request_install(request: HttpRequest, integration: str) -> HttpResponse:
    """A member asks the team's admins (idempotent); an admin installs at once."""
    def act(team: Team, name: str) -> str | None:
        outcome = services.account_connect_prepare(
            user=request.user, team=team, integration=integration, source_ip=client_ip(request)
        )
        if outcome == "requested":
            return errors.INSTALL_REQUESTED.format(integration=name, team=team.name)
        if outcome == "installed":
            return errors.INSTALLED_BY_ADMIN.format(integration=name, team=team.name)
        return None

    return _team_action(request, integration, title="Could not request", act=act)
