"""A linked Tracker ticket created from an Asana card (issue 11's acceptance: "linked ticket").

Tracker (tests/providers/tracker) is enabled by a settings override alone and declares
LinkTarget, TicketCreate and AttachmentUpload; cards.linked_tickets creates the ticket through
those capabilities, against the Asana sandbox and Tracker's simulator over real HTTP, through
the same API view as the contract's Jira issue (`/cards/{id}/linked-tickets/{target}`). No file
outside the Tracker package names it.
"""

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from approvals.models import AuditEvent, Installation, InstallRequest
from cards import errors
from cards.models import Board, CardWidget, TicketLink
from integrations.providers import (
    AttachmentUpload,
    LinkTarget,
    TicketCreate,
    get_provider,
    supports,
)
from integrations.sandbox.asana.seed import WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.cards.conftest import connect_asana
from tests.factories import make_admin
from tests.fixtures.asana import REPORT, asana_with_attachments
from tests.providers.test_tracker_acceptance import connect

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TASK = str(int(WEBSITE_TASK_FIRST) + 1)  # no attachments in the seed
APPS = ("approvals", "cards", "config", "integrations", "tokens", "templates", "static")


@pytest.fixture
def asana(settings, asana_sandbox):
    """The Asana sandbox with a task holding one file Asana hosts and one Dropbox link."""
    with asana_with_attachments(settings, asana_sandbox, task=TASK) as sandbox:
        yield sandbox


@pytest.fixture
def card(team, member, client, tracker, asana):
    """An Asana card of a member who connected both tools; both installed for the team."""
    admin = make_admin(team)
    for integration in ("asana", "tracker"):
        Installation.objects.create(team=team, integration=integration, installed_by=admin)
    connect_asana(asana, user=member, team=team)
    connect(client, member, tracker)
    board = Board.objects.create(team=team, name="Website", created_by=member)
    imported = api(member).post(f"/api/v1/boards/{board.pk}/cards/", {
        "url": f"https://app.asana.com/0/{WEBSITE_PROJECT}/{TASK}"}, format="json")
    assert imported.status_code == 201, imported.content
    return CardWidget.objects.get(board=board, external_id=TASK)


def api(user) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.9.3")
    client.force_login(user)
    return client


def test_tracker_is_a_link_target_through_the_registry_alone(tracker):
    provider = get_provider("tracker")
    assert all(supports(provider, capability)
               for capability in (LinkTarget, TicketCreate, AttachmentUpload))
    named = [str(path.relative_to(ROOT)) for app in APPS for path in (ROOT / app).rglob("*")
             if path.is_file() and path.suffix in (".py", ".html", ".js", ".toml")
             and "tracker" in path.read_text(errors="ignore").lower()]
    assert named == []


def test_a_linked_tracker_ticket_is_created_from_an_asana_card(card, member, tracker, asana):
    path = f"/api/v1/cards/{card.pk}/linked-tickets/tracker"

    # The form: Tracker's projects, read with the member's own Tracker token.
    form = api(member).get(path)
    assert form.status_code == 200, form.content
    assert [p["key"] for p in form.json()["projects"]] == ["p-core", "p-web"]
    assert form.json()["links"] == []

    created = api(member).post(path, {"container": "p-core"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    key = body["ticket"]["key"]
    assert body["ticket"]["url"] == f"https://tracker.test/issue/{key}"

    # In Tracker: the task's live title and description, where it came from, the one file.
    task = asana.control("task", gid=TASK)["data"]
    issue = tracker.state.issues[key]
    assert (issue["project"], issue["title"]) == ("p-core", task["name"])
    assert task["notes"] in issue["description"]
    assert f"Created from Asana task: {task['permalink_url']}" in issue["description"]
    (stored,) = tracker.state.attachments[key]
    assert (stored["filename"], stored["content"]) == ("report.pdf", REPORT)
    assert [a["name"] for a in body["attachments"]["copied"]] == ["report.pdf"]
    (skipped,) = body["attachments"]["skipped"]
    assert (skipped["name"], skipped["host"]) == ("Mockups", "dropbox")
    assert skipped["reason"] == errors.ATTACHMENT_LINK_SKIPPED.format(host="dropbox",
                                                                      integration="Asana")

    # The link is stored, audited and listed on the card (not among its Jira issues).
    link = TicketLink.objects.get(team=card.board.team)
    assert (link.source_provider, link.source_external_id, link.target_provider,
            link.target_site, link.target_external_id) == ("asana", TASK, "tracker", "", key)
    assert link.created_by == member
    event = AuditEvent.objects.get(action="ticket_link.create")
    assert event.metadata["target_provider"] == "tracker" and event.actor == member
    shown = api(member).get(f"/api/v1/cards/{card.pk}").json()
    assert [(t["target_name"], t["key"], t["url"]) for t in shown["linked_tickets"]] == [
        ("Tracker", key, body["ticket"]["url"])]
    assert shown["jira_issues"] == []
    assert [t["key"] for t in api(member).get(path).json()["links"]] == [key]


def test_a_tracker_card_cannot_be_linked_to_tracker(card, member, tracker):
    tracker_card = CardWidget.objects.create(
        board=card.board, provider="tracker", external_id="TRK-1",
        url="https://tracker.test/issue/TRK-1", title="Ship the registry")
    response = api(member).post(f"/api/v1/cards/{tracker_card.pk}/linked-tickets/tracker",
                                {"container": "p-core"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"] == errors.LINKED_TICKET_SAME_TOOL.format(
        integration="Tracker")
    assert not TicketLink.objects.exists() and len(tracker.state.issues) == 3


def test_a_target_that_is_not_a_link_target_is_refused(card, member):
    response = api(member).post(f"/api/v1/cards/{card.pk}/linked-tickets/asana",
                                {"container": WEBSITE_PROJECT}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"] == errors.NOT_SUPPORTED.format(
        integration="Asana", feature="linked tickets")


def test_an_unknown_target_is_not_found(card, member):
    response = api(member).get(f"/api/v1/cards/{card.pk}/linked-tickets/nothing-here")
    assert response.status_code == 404, response.content


def test_a_file_that_fails_to_copy_is_listed_and_the_ticket_and_link_stay(card, member, tracker,
                                                                          asana):
    asana.fault(path_prefix="/api/1.0/attachments/", method="GET", status=404, times=10)
    created = api(member).post(f"/api/v1/cards/{card.pk}/linked-tickets/tracker",
                               {"container": "p-web"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    (failed,) = body["attachments"]["failed"]
    assert failed["name"] == "report.pdf"
    assert failed["reason"].startswith("Not copied: ")
    assert body["attachments"]["copied"] == []
    key = body["ticket"]["key"]
    assert tracker.state.issues[key]["project"] == "p-web" and key not in tracker.state.attachments
    assert TicketLink.objects.filter(target_provider="tracker", target_external_id=key).exists()


def test_a_member_linking_to_a_tool_the_team_lacks_requests_it(card, member, tracker):
    Installation.objects.filter(team=card.board.team, integration="tracker").delete()
    response = api(member).post(f"/api/v1/cards/{card.pk}/linked-tickets/tracker",
                                {"container": "p-core"}, format="json")
    assert response.status_code == 202, response.content
    assert InstallRequest.objects.filter(team=card.board.team, integration="tracker",
                                         requested_by=member).exists()
    assert not TicketLink.objects.exists() and len(tracker.state.issues) == 3
