"""The Jira Server provider over the real simulator: links, the unified ticket, createmeta forms,
creating and editing issues, attachments."""

import pytest

from integrations.errors import ApiInvalid, ApiNotFound
from integrations.jira_server.selectors import server_context
from integrations.providers import Credentials, NewTicket, TicketChanges, get_provider
from tests.integrations.jira_server.conftest import connect_jira

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return get_provider("jira_server")


@pytest.fixture
def alice(client, member, jira, jira_installed, linked_connection):
    account = connect_jira(client, member, jira, jira_user="alice")
    return Credentials(access_token=account.access_token, token_secret=account.token_secret,
                       connection=server_context(linked_connection.team))


def test_a_browse_link_is_a_jira_link_naming_its_server(provider, connection, jira):
    reference = provider.parse_link(f"{jira.base_url}/browse/TEST-2?focusedCommentId=1")
    assert reference.provider == "jira_server"
    assert reference.external_id == "TEST-2"
    assert reference.container_id == "TEST"
    assert reference.url == f"{jira.base_url}/browse/TEST-2"
    assert reference.site == connection.base_url


def test_parse_link_is_pure(provider, django_assert_num_queries):
    # No team registered this server: parsing still says which server the link names; whether
    # a team may fetch it is decided against the team's connection (cards), not here.
    with django_assert_num_queries(0):
        reference = provider.parse_link("https://jira.unknown.example/jira/browse/test-1")
    assert (reference.site, reference.external_id) == ("https://jira.unknown.example/jira",
                                                      "TEST-1")


@pytest.mark.parametrize("url", [
    "{base}/browse/not-a-key",
    "{base}/projects/TEST",
    "https://app.asana.com/0/1/2",
])
def test_other_links_are_not_jira_links(provider, connection, jira, url):
    assert provider.parse_link(url.format(base=jira.base_url)) is None


def test_an_issue_maps_to_the_unified_ticket(provider, alice, jira):
    ticket = provider.fetch_ticket(alice, "TEST-1")
    assert ticket.external_id == "TEST-1"
    assert ticket.url == f"{jira.base_url}/browse/TEST-1"
    assert ticket.title == "Set up the staging environment"
    assert ticket.description.startswith("Provision the staging cluster")
    assert (ticket.assignee_name, ticket.assignee_email) == ("Alice Anders", "alice@example.com")
    assert (ticket.status, ticket.priority) == ("In Progress", "High")
    assert ticket.details["labels"] == ["infra", "staging"]
    assert ticket.details["due_date"] == "2030-06-28"
    assert ticket.details["project"] == {"key": "TEST", "name": "Conduit Test"}
    assert [a["name"] for a in ticket.details["attachments"]] == ["staging-notes.txt"]


def test_an_issue_the_user_cannot_see_is_not_found(provider, client, member, jira,
                                                   jira_installed, linked_connection):
    account = connect_jira(client, member, jira, jira_user="bob")  # bob cannot browse OPS
    bob = Credentials(access_token=account.access_token, token_secret=account.token_secret,
                      connection=server_context(linked_connection.team))
    with pytest.raises(ApiNotFound):
        provider.fetch_ticket(bob, "OPS-1")


def test_the_create_form_lists_projects_issue_types_and_required_fields(provider, alice):
    projects = {p["key"]: p for p in provider.create_form(alice)["projects"]}
    assert set(projects) == {"TEST", "OPS"}
    ops = provider.create_form(alice, container_id="OPS")["projects"][0]
    incident = next(t for t in ops["issue_types"] if t["name"] == "Incident")
    (severity,) = incident["fields"]
    assert severity["id"] == "customfield_10200" and severity["required"]
    assert [v["name"] for v in severity["allowed_values"]] == ["Sev 1", "Sev 2", "Sev 3"]
    task = next(t for t in ops["issue_types"] if t["name"] == "Task")
    assert task["fields"] == []


def test_the_create_form_of_jira_9_uses_the_paginated_createmeta(provider, alice, jira):
    jira.control("version", version="9.4.0")
    ops = provider.create_form(alice, container_id="OPS")["projects"][0]
    incident = next(t for t in ops["issue_types"] if t["name"] == "Incident")
    assert [f["id"] for f in incident["fields"]] == ["customfield_10200"]


def test_creating_an_issue_with_its_required_field(provider, alice, jira):
    ticket = provider.create_ticket(alice, NewTicket(
        container_id="OPS", title="Disk full on db-2", description="97% used",
        extra={"issue_type": "Incident", "fields": {"customfield_10200": "Sev 2"}}))
    assert ticket.external_id == "OPS-2"
    assert ticket.status == "To Do"
    created = next(i for i in jira.control("issues")["data"] if i["key"] == "OPS-2")
    assert created["summary"] == "Disk full on db-2" and created["reporter"] == "alice"


def test_a_missing_required_field_is_refused_before_jira_is_asked(provider, alice, jira):
    jira.clear_requests()
    with pytest.raises(ApiInvalid) as refused:
        provider.create_ticket(alice, NewTicket(container_id="OPS", title="Outage",
                                                extra={"issue_type": "Incident"}))
    assert "Severity is required." in refused.value.message
    assert [r for r in jira.requests("/rest/api/2/issue") if r["method"] == "POST"] == []


def test_an_unknown_issue_type_is_refused(provider, alice):
    with pytest.raises(ApiInvalid):
        provider.create_ticket(alice, NewTicket(container_id="TEST", title="x",
                                                extra={"issue_type": "Epic"}))


def test_without_an_issue_type_a_task_is_created(provider, alice):
    ticket = provider.create_ticket(alice, NewTicket(container_id="TEST", title="Plain"))
    assert ticket.details["issue_type"] == "Task"


def test_editing_title_and_description_writes_to_jira(provider, alice, jira):
    ticket = provider.update_ticket(alice, "TEST-2", TicketChanges(title="Blank screen",
                                                                   description="On Safari 17"))
    assert (ticket.title, ticket.description) == ("Blank screen", "On Safari 17")


def test_marking_done_is_refused_with_what_to_do(provider, alice):
    with pytest.raises(ApiInvalid) as refused:
        provider.update_ticket(alice, "TEST-2", TicketChanges(completed=True))
    assert "workflow" in refused.value.message


def test_attachments_are_uploaded_multipart_with_the_xsrf_header(provider, alice, jira):
    uploaded = provider.add_attachment(alice, "TEST-2", filename="trace.log",
                                       content=b"line 1\nline 2\n", content_type="text/plain")
    assert uploaded["name"] == "trace.log" and uploaded["size"] == 14
    (upload,) = [r for r in jira.requests("/rest/api/2/issue/TEST-2/attachments")]
    assert upload["headers"]["x-atlassian-token"] == "no-check"
    assert upload["headers"]["content-type"].startswith("multipart/form-data")
    (stored,) = jira.control("attachments", issue="TEST-2")["data"]
    assert stored["filename"] == "trace.log"


def test_an_attachment_is_downloaded_with_the_user_s_token(provider, alice):
    (attachment,) = provider.list_attachments(alice, "TEST-1")
    name, content, content_type = provider.download_attachment(alice, attachment)
    assert (name, content) == ("staging-notes.txt", b"Staging runs on 3 nodes.\n")
    assert content_type == "text/plain"


def test_projects_are_the_picker_s_containers(provider, alice):
    assert {c["id"] for c in provider.list_containers(alice, workspace_id="")} == {"TEST", "OPS"}


def test_a_project_s_issues_are_listed_a_page_at_a_time(provider, alice):
    first = provider.list_tickets(alice, container_id="TEST", limit=2)
    assert len(first.items) == 2 and first.next_cursor == "2"
    second = provider.list_tickets(alice, container_id="TEST", cursor=first.next_cursor, limit=2)
    assert second.next_cursor is None
    keys = {t.external_id for t in first.items + second.items}
    assert keys == {"TEST-1", "TEST-2", "TEST-3"}


def test_listing_filters_by_text(provider, alice):
    page = provider.list_tickets(alice, container_id="TEST", query="safari")
    assert [t.external_id for t in page.items] == ["TEST-2"]
