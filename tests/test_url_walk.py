"""Every URL pattern refuses whoever may not use it, tried with real objects.

Each route is requested with the ids of objects that exist and belong to team Acme (a 404 for a
made-up id proves nothing: a view without any permission check answers 404 for it too):

- anonymous: 401, 403 or a redirect to a login page, for GET and POST (405 only when the other
  method was refused that way); 404 never counts as refused;
- the admin of another team (Globex), on every route that names an Acme object: 404 or 403
  (the console's own "no such object" answer, a redirect to its index, counts as 404), for
  GET, POST, PATCH and DELETE, and at least one of them must be 404/403, not 405.

The few public routes are listed with the reason they are public.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from oauth2_provider.models import Application

from approvals.models import AuditEvent, Installation, InstallRequest, Membership
from cards.models import Board, CardWidget, TicketLink
from integrations.models import JiraServerConnection
from tests.factories import make_admin, make_member, make_support, make_team
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

# Public by design: logging in, the load balancer's health check, provider webhooks (they
# authenticate by signature, not by session), Conduit's OAuth token endpoints, static assets.
PUBLIC = [
    r"^login$",
    r"^healthz$",
    r"^readyz$",  # readiness: names failed checks, never data
    r"^admin/login/$",
    r"^webhooks/",
    r"^o/(token|revoke_token)/$",  # OAuth 2.0 endpoints: they authenticate the client (RFC 6749)
    r"^static/",
]
ANONYMOUS_REFUSED = {401, 403}
OTHER_TEAM_REFUSED = {403, 404}
ANONYMOUS_METHODS = ("get", "post")
OTHER_TEAM_METHODS = ("get", "post", "patch", "delete")
OBJECT_ID = re.compile(r"<(?:\w+:)?(object_id|id|board_id|card_id)>")


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def all_routes() -> list[str]:
    return sorted(set(walk(get_resolver().url_patterns)))


@pytest.fixture
def acme():
    """One of every object a route can name, all of team Acme; Globex has only its admin."""
    team = make_team("Acme")
    admin, member = make_admin(team, "acme-admin"), make_member(team, "acme-member")
    make_support("acme-support")
    board = Board.objects.create(team=team, name="Roadmap", created_by=member)
    card = CardWidget.objects.create(board=board, provider="asana", external_id="1",
                                     url="https://app.asana.com/0/1/1", title="t",
                                     created_by=member)
    attempt = {"user_agent": "ua", "ip_address": "127.0.0.2", "username": "acme-member",
               "http_accept": "*/*", "path_info": "/login"}
    objects = {
        "approvals.team": team,
        "approvals.membership": Membership.objects.get(user=member),
        "approvals.installation": Installation.objects.create(
            team=team, integration="asana", installed_by=admin),
        "approvals.installrequest": InstallRequest.objects.create(
            team=team, integration="jira_server", requested_by=member),
        "approvals.auditevent": AuditEvent.objects.create(
            action="test.event", actor=admin, actor_label="acme-admin", team=team),
        "auth.user": member,
        "auth.group": Group.objects.get(),
        "tokens.connectedaccount": ConnectedAccount.objects.create(
            user=member, team=team, integration="asana", access_token="t"),
        "integrations.jiraserverconnection": JiraServerConnection.objects.create(
            team=team, base_url="https://jira.acme.example", consumer_key="acme-consumer",
            public_key_pem="-", created_by=admin),
        "cards.ticketlink": TicketLink.objects.create(
            team=team, source_provider="asana", source_external_id="1",
            target_provider="jira_server", target_site="https://jira.acme.example",
            target_external_id="A-1", target_url="https://jira.acme.example/browse/A-1",
            created_by=member),
        "oauth2_provider.application": Application.objects.create(
            name="acme app", user=member, client_type="confidential",
            authorization_grant_type="authorization-code", redirect_uris="https://a.example/cb"),
        "axes.accessattempt": AccessAttempt.objects.create(**attempt, get_data="", post_data="",
                                                           failures_since_start=1),
        "axes.accesslog": AccessLog.objects.create(**attempt),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**attempt),
    }
    return {"team": team, "board": board, "card": card, "objects": objects,
            "globex_admin": make_admin(make_team("Globex"), "globex-admin")}


def concrete(route: str, acme: dict) -> tuple[str, bool]:
    """A request path for `route` naming Acme's real objects, and whether it names one."""
    names_object = bool(OBJECT_ID.search(route))
    admin_model = re.match(r"^admin/(\w+)/(\w+)/", route)
    target = None
    if admin_model and names_object:
        label = f"{admin_model[1]}.{admin_model[2]}"
        apps.get_model(label)  # a route of an unknown model is a bug in this walk
        assert label in acme["objects"], f"the walk has no Acme object for {label}"
        target = acme["objects"][label]
    values = {
        "board_id": acme["board"].pk, "card_id": acme["card"].pk,
        "object_id": target.pk if target is not None else acme["team"].pk,
        "id": target.pk if target is not None else "",
        "content_type_id": ContentType.objects.get_for_model(acme["team"]).pk,
        "key": "asana", "integration": "asana", "target": "jira_server", "subscription_id": acme["team"].pk,
        "provider": "asana", "subscription": acme["team"].pk,  # webhook paths (public)
    }
    if route.startswith("admin/r/"):
        names_object = True  # the "view on site" shortcut names Acme's team
    path = re.sub(r"\(\?P<app_label>[^)]*\)", "approvals", route)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "no-such-page", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match[1]]), path)
    path = path.replace(r"[\s\S]*", "no-such-endpoint")
    path = path.replace("^", "").replace("$", "").replace(".*", "no-such-endpoint")
    return "/" + path.lstrip("/"), names_object


def is_public(path: str) -> bool:
    return any(re.match(pattern, path.lstrip("/")) for pattern in PUBLIC)


def refused_anonymously(client, method: str, path: str) -> str | None:
    """None when refused (401/403, or a redirect chain ending on a login page), else why not."""
    response = getattr(client, method)(path)
    if response.status_code in ANONYMOUS_REFUSED:
        return None
    if response.status_code in (301, 302):
        followed = getattr(client, method)(path, follow=True)
        final = followed.redirect_chain[-1][0]
        return None if "login" in final else f"redirects to {final}"
    return "method not allowed" if response.status_code == 405 else str(response.status_code)


def test_every_protected_url_refuses_anonymous_clients_with_real_ids(client, acme):
    problems = []
    for route in all_routes():
        path, _ = concrete(route, acme)
        if is_public(path):
            continue
        answers = {method: refused_anonymously(client, method, path)
                   for method in ANONYMOUS_METHODS}
        refused = [method for method, answer in answers.items() if answer is None]
        allowed = all(answer in (None, "method not allowed") for answer in answers.values())
        if not (refused and allowed):
            problems.append((route, path, answers))
    assert problems == []


def refused_for_another_team(client, method: str, path: str, *, admin_index: str) -> str | None:
    response = getattr(client, method)(path)
    if response.status_code in OTHER_TEAM_REFUSED:
        return None
    if response.status_code in (301, 302):
        # /admin/<model>/<id>/ redirects to its change page; whatever the chain, it must end
        # refused, or on the console's index (its answer for a row outside the viewer's teams).
        followed = getattr(client, method)(path, follow=True)
        final = followed.redirect_chain[-1][0]
        if final == admin_index or followed.status_code in OTHER_TEAM_REFUSED:
            return None
        return f"redirects to {final} ({followed.status_code})"
    return "method not allowed" if response.status_code == 405 else str(response.status_code)


def test_every_url_naming_a_team_object_refuses_another_teams_admin(client, acme):
    client.force_login(acme["globex_admin"])
    admin_index = reverse("admin:index")
    problems, tried = [], 0
    for route in all_routes():
        path, names_object = concrete(route, acme)
        if is_public(path) or not names_object:
            continue
        tried += 1
        answers = {method: refused_for_another_team(client, method, path,
                                                    admin_index=admin_index)
                   for method in OTHER_TEAM_METHODS}
        refused = [method for method, answer in answers.items() if answer is None]
        allowed = all(answer in (None, "method not allowed") for answer in answers.values())
        if not (refused and allowed):
            problems.append((route, path, answers))
    assert problems == []
    assert tried > 60  # every admin change/delete/history page and the board and card routes
    assert CardWidget.objects.filter(pk=acme["card"].pk).exists()  # DELETE did nothing


def test_walk_covers_the_admin_and_api():
    routes = all_routes()
    assert any(route.startswith("admin/") for route in routes)
    assert any(route.startswith("api/v1/cards/") for route in routes)
    assert len(routes) > 20
