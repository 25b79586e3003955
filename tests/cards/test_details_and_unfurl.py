"""Live details with the viewer's own token, and link previews (unfurls) with the install flow."""

from __future__ import annotations

import pytest
from django.db import connection

from approvals.models import AuditEvent, Installation, InstallRequest
from cards import errors
from cards.models import CardWidget, LinkPreview
from integrations.sandbox.asana.seed import (
    CONFIDENTIAL_PROJECT,
    CONFIDENTIAL_TASK,
    GRACE,
    WEBSITE_PROJECT,
    WEBSITE_TASK_FIRST,
)
from tests.cards.conftest import api_client, connect_asana, make_card
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TASK_LINK = f"https://app.asana.com/0/{WEBSITE_PROJECT}/{WEBSITE_TASK_FIRST}"


# -- details ---------------------------------------------------------------------------------


def test_details_refresh_the_stored_fields_and_return_live_details_unstored(
    sandbox, board, member, member_account
):
    card = make_card(board, WEBSITE_TASK_FIRST, title="Stale title", description="Stale")
    response = api_client(member).get(f"/api/v1/cards/{card.pk}/details")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["card"]["title"] == "Draft homepage copy"
    details = body["details"]
    assert details["due_on"] == "2024-06-01"
    assert details["tags"] == ["frontend"]
    assert {attachment["name"] for attachment in details["attachments"]}
    card.refresh_from_db()
    assert card.title == "Draft homepage copy"
    assert card.priority == "High"
    stored = str(CardWidget.objects.values().get(pk=card.pk))
    assert "frontend" not in stored and "2024-06-01" not in stored


def test_details_for_a_viewer_without_a_connection_answer_409_with_the_connect_url(
    sandbox, board, team, installed
):
    viewer = make_member(team)
    card = make_card(board, WEBSITE_TASK_FIRST)
    response = api_client(viewer).get(f"/api/v1/cards/{card.pk}/details")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "needs_connection"
    assert error["detail"]["connect_url"] == "/integrations/asana/connect"


def test_details_for_a_viewer_asana_refuses_say_no_access_and_leave_the_card_alone(
    sandbox, board, team, installed
):
    viewer = make_member(team)
    connect_asana(sandbox, user=viewer, team=team, user_gid=GRACE)
    card = make_card(board, CONFIDENTIAL_TASK, title="Review target financials",
                     url=f"https://app.asana.com/0/{CONFIDENTIAL_PROJECT}/{CONFIDENTIAL_TASK}")
    before = CardWidget.objects.values().get(pk=card.pk)
    response = api_client(viewer).get(f"/api/v1/cards/{card.pk}/details")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "no_access"
    assert error["message"] == errors.NO_ACCESS.format(integration="Asana")
    assert CardWidget.objects.values().get(pk=card.pk) == before
    # The stored card stays visible to that viewer.
    assert api_client(viewer).get(f"/api/v1/cards/{card.pk}").json()["title"] == \
        "Review target financials"


# -- unfurl ----------------------------------------------------------------------------------


def test_unfurl_stores_the_title_and_the_link_encrypted(sandbox, board, member, member_account):
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                                       format="json")
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert (body["title"], body["url"], body["provider"]) == (
        "Draft homepage copy", TASK_LINK, "asana")
    preview = LinkPreview.objects.get(pk=body["id"])
    assert preview.reference == TASK_LINK
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference, title FROM cards_linkpreview WHERE id = %s",
                       [preview.pk])
        raw_reference, raw_title = cursor.fetchone()
    assert WEBSITE_TASK_FIRST not in raw_reference and "asana" not in raw_reference
    assert raw_title == "Draft homepage copy"


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("https://example.com/some/page", "unknown_link", errors.UNKNOWN_LINK),
        ("https://app.asana.com/0/home/123", "unknown_link", errors.UNKNOWN_LINK),
        ("not a link at all", "malformed_link", errors.MALFORMED_LINK),
        ("javascript:alert(1)", "malformed_link", errors.MALFORMED_LINK),
    ],
)
def test_unknown_or_malformed_links_get_a_clear_error(board, member, url, code, message):
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": url},
                                       format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"] == message
    assert not LinkPreview.objects.exists()


def test_a_member_unfurling_a_link_of_an_uninstalled_integration_requests_the_install(
    sandbox, board, team, member
):
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                                       format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == errors.INSTALL_REQUESTED.format(integration="Asana", team=team.name)
    request = InstallRequest.objects.get(team=team, integration="asana", requested_by=member)
    assert body["install_request"]["id"] == request.pk
    assert body["install_request"]["status"] == "pending"
    assert not LinkPreview.objects.exists()
    assert sandbox.requests("/api/1.0/") == []
    again = api_client(member).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                                    format="json")
    assert again.json()["install_request"]["id"] == request.pk  # idempotent


def test_an_admin_unfurling_a_link_of_an_uninstalled_integration_installs_it_and_unfurls(
    sandbox, board, team, admin
):
    connect_asana(sandbox, user=admin, team=team)
    response = api_client(admin).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                                      format="json")
    assert response.status_code == 201, response.content[:300]
    assert Installation.objects.filter(team=team, integration="asana").exists()
    assert AuditEvent.objects.filter(action="integration.install", team=team).exists()
    assert response.json()["title"] == "Draft homepage copy"


def test_unfurl_on_a_plan_without_integrations_says_an_upgrade_is_needed(board, team, member):
    team.plan = "free"
    team.save()
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                                       format="json")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "plan_upgrade_needed"
