"""AsanaClient and the Asana provider's ticket calls against the simulator over HTTP."""

from __future__ import annotations

import pytest

from integrations.asana.client import AsanaClient
from integrations.errors import (
    ApiError,
    ApiForbidden,
    ApiInvalid,
    ApiNotFound,
    ApiRateLimited,
    ApiTimeout,
    ApiUnauthorized,
    ApiUnavailable,
)
from integrations.providers import Credentials, NewTicket, TicketChanges, get_provider
from integrations.sandbox.asana import seed

TASK_PATH = f"/api/1.0/tasks/{seed.WEBSITE_TASK_FIRST}"


@pytest.fixture
def ada(least_privilege_token) -> Credentials:
    return Credentials(access_token=least_privilege_token)


@pytest.fixture
def asana():
    return get_provider("asana")


def test_all_250_plus_project_tasks_take_at_most_three_list_calls(sandbox, least_privilege_token):
    tasks = list(AsanaClient(least_privilege_token).all_project_tasks(seed.BACKLOG_PROJECT))
    assert len(tasks) == seed.BACKLOG_TASK_COUNT
    assert len({task["gid"] for task in tasks}) == seed.BACKLOG_TASK_COUNT
    calls = sandbox.requests(f"/api/1.0/projects/{seed.BACKLOG_PROJECT}/tasks")
    assert len(calls) <= 3
    assert all(entry["query"]["limit"] == "100" for entry in calls)
    assert ["offset" in entry["query"] for entry in calls] == [False, True, True]


def test_list_tickets_pages_with_an_opaque_cursor(sandbox, asana, ada):
    seen, cursor, pages = [], None, 0
    while True:
        page = asana.list_tickets(ada, container_id=seed.BACKLOG_PROJECT, cursor=cursor)
        seen += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == seed.BACKLOG_TASK_COUNT
    assert seen[0].title == "Backlog item 001"
    assert seen[0].status == "open · Inbox"
    assert seen[0].priority == "Low"


def test_list_tickets_with_a_query_returns_the_matches(sandbox, asana, ada):
    page = asana.list_tickets(ada, container_id=seed.WEBSITE_PROJECT, query="homepage")
    assert [ticket.title for ticket in page.items] == ["Draft homepage copy"]
    assert page.next_cursor is None


def test_list_tickets_with_a_query_filters_names_when_search_is_premium_only(sandbox, asana, ada):
    sandbox.fault(
        path_prefix=f"/api/1.0/workspaces/{seed.ACME_WORKSPACE}/tasks/search", status=402, times=1
    )
    page = asana.list_tickets(ada, container_id=seed.WEBSITE_PROJECT, query="HOMEPAGE")
    assert [ticket.title for ticket in page.items] == ["Draft homepage copy"]


def test_fetch_ticket_maps_the_live_task_with_details(sandbox, asana, ada):
    ticket = asana.fetch_ticket(ada, seed.WEBSITE_TASK_FIRST)
    assert ticket.provider == "asana"
    assert ticket.external_id == seed.WEBSITE_TASK_FIRST
    assert ticket.title == "Draft homepage copy"
    assert ticket.description == "Draft homepage copy. Acceptance: reviewed by the team."
    assert (ticket.assignee_name, ticket.assignee_email) == ("Ada Lovelace", "ada@acme.example")
    assert ticket.status == "open · To do"
    assert ticket.priority == "High"
    assert ticket.url == f"https://app.asana.com/1/{seed.ACME_WORKSPACE}/task/{ticket.external_id}"
    assert asana.parse_link(ticket.url).external_id == ticket.external_id
    assert ticket.details["tags"] == ["frontend"]
    assert ticket.details["due_on"] == "2024-06-01"
    assert ticket.details["projects"] == [{"id": seed.WEBSITE_PROJECT, "name": "Website Relaunch"}]
    assert ticket.details["modified_at"]
    names = [(a["name"], a["host"]) for a in ticket.details["attachments"]]
    assert names == [
        ("homepage-copy.pdf", "asana"),
        ("hero.png", "asana"),
        ("Wireframes.fig", "dropbox"),
        ("Brand guidelines", "gdrive"),
    ]
    assert all("download_url" not in a for a in ticket.details["attachments"])


def test_create_then_update_writes_to_asana(sandbox, asana, ada, restore_seed):
    created = asana.create_ticket(
        ada,
        NewTicket(
            container_id=seed.WEBSITE_PROJECT, title="From the board", description="Typed on a card"
        ),
    )
    assert (created.title, created.description, created.status) == (
        "From the board",
        "Typed on a card",
        "open · To do",
    )
    updated = asana.update_ticket(
        ada, created.external_id, TicketChanges(title="Renamed", completed=True)
    )
    assert updated.title == "Renamed"
    assert updated.description == "Typed on a card"
    assert updated.status.startswith("done")
    stored = sandbox.control("task", gid=created.external_id)["data"]
    assert (stored["name"], stored["completed"]) == ("Renamed", True)
    writes = [e["method"] for e in sandbox.requests("/api/1.0/tasks") if e["method"] != "GET"]
    assert writes == ["POST", "PUT"]


def test_create_in_a_section(sandbox, asana, ada, restore_seed):
    doing = sandbox.control("task", gid=str(int(seed.WEBSITE_TASK_FIRST) + 1))["data"]
    section = doing["memberships"][0]["section"]
    created = asana.create_ticket(
        ada,
        NewTicket(
            container_id=seed.WEBSITE_PROJECT, title="In Doing", extra={"section": section["gid"]}
        ),
    )
    assert created.status == "open · Doing"


def test_invalid_update_is_api_invalid_with_asanas_message(sandbox, least_privilege_token):
    client = AsanaClient(least_privilege_token)
    with pytest.raises(ApiInvalid) as caught:
        client.update_task(seed.WEBSITE_TASK_FIRST, {"completed": "yes"})
    assert "completed: Expected boolean" in caught.value.message
    assert caught.value.payload["errors"][0]["message"].startswith("completed:")


def test_unknown_token_is_unauthorized(sandbox, asana):
    with pytest.raises(ApiUnauthorized) as caught:
        asana.fetch_ticket(Credentials(access_token="2/0/unknown"), seed.WEBSITE_TASK_FIRST)
    assert caught.value.message == "Asana answered 401: Not Authorized"


def test_expired_token_is_unauthorized(sandbox, asana):
    token = sandbox.control("issue_token", user=seed.ADA)["access_token"]
    sandbox.control("expire_token", access_token=token)
    with pytest.raises(ApiUnauthorized) as caught:
        asana.fetch_ticket(Credentials(access_token=token), seed.WEBSITE_TASK_FIRST)
    assert "has expired" in caught.value.message


def test_task_the_user_cannot_see_is_forbidden(sandbox, asana, grace_token):
    with pytest.raises(ApiForbidden) as caught:
        asana.fetch_ticket(Credentials(access_token=grace_token), seed.CONFIDENTIAL_TASK)
    assert caught.value.status == 403
    assert "Review target" not in caught.value.message


def test_unknown_task_is_not_found(sandbox, asana, ada):
    with pytest.raises(ApiNotFound) as caught:
        asana.fetch_ticket(ada, "1100000000999999")
    assert caught.value.message == "Asana answered 404: task: Unknown object: 1100000000999999"


def test_rate_limit_carries_retry_after(sandbox, asana, ada):
    sandbox.fault(path_prefix=TASK_PATH, status=429, retry_after=30, times=1)
    with pytest.raises(ApiRateLimited) as caught:
        asana.fetch_ticket(ada, seed.WEBSITE_TASK_FIRST)
    assert caught.value.retry_after == 30
    assert caught.value.retryable


def test_server_error_is_unavailable(sandbox, asana, ada):
    sandbox.fault(path_prefix=TASK_PATH, status=500, times=1)
    with pytest.raises(ApiUnavailable) as caught:
        asana.fetch_ticket(ada, seed.WEBSITE_TASK_FIRST)
    assert caught.value.status == 500
    assert caught.value.retryable


def test_slow_answer_is_a_timeout(sandbox, asana, ada, settings):
    settings.EGRESS_MAX_TIMEOUT = 0.3  # caps the client's own read timeout
    sandbox.fault(path_prefix=TASK_PATH, hang_seconds=1.5, times=1)
    with pytest.raises(ApiTimeout):
        asana.fetch_ticket(ada, seed.WEBSITE_TASK_FIRST)


def test_workspaces_and_projects_for_the_picker(sandbox, asana, ada, grace_token):
    assert asana.list_workspaces(ada) == [
        {"id": seed.ACME_WORKSPACE, "name": "Acme Corp"},
        {"id": seed.GARDEN_WORKSPACE, "name": "Community Garden"},
    ]
    ada_projects = {p["id"] for p in asana.list_containers(ada, workspace_id=seed.ACME_WORKSPACE)}
    grace = Credentials(access_token=grace_token)
    grace_projects = {
        p["id"] for p in asana.list_containers(grace, workspace_id=seed.ACME_WORKSPACE)
    }
    assert seed.CONFIDENTIAL_PROJECT in ada_projects
    assert seed.CONFIDENTIAL_PROJECT not in grace_projects
    assert seed.WEBSITE_PROJECT in grace_projects


def test_search_tickets_in_a_workspace(sandbox, asana, ada):
    page = asana.search_tickets(ada, workspace_id=seed.ACME_WORKSPACE, query="Backlog item 042")
    assert [ticket.title for ticket in page.items] == ["Backlog item 042"]


def test_attachments_list_and_download_of_an_asana_file(sandbox, asana, ada):
    attachments = asana.list_attachments(ada, seed.WEBSITE_TASK_FIRST)
    pdf = next(a for a in attachments if a["name"] == "homepage-copy.pdf")
    link = next(a for a in attachments if a["host"] == "dropbox")
    assert pdf["download_url"] and link["download_url"] is None
    assert link["view_url"].startswith("https://www.dropbox.com/")
    filename, content, content_type = asana.download_attachment(ada, pdf)
    assert (filename, content_type) == ("homepage-copy.pdf", "application/pdf")
    assert content.startswith(b"%PDF-1.4")
    downloads = sandbox.requests("/assets/")
    assert len(downloads) == 1 and "authorization" not in downloads[0]["headers"]


def test_a_link_attachment_is_not_downloaded(sandbox, asana, ada):
    attachments = asana.list_attachments(ada, seed.WEBSITE_TASK_FIRST)
    link = next(a for a in attachments if a["host"] == "gdrive")
    with pytest.raises(ApiError, match="link to gdrive"):
        asana.download_attachment(ada, link)
    assert sandbox.requests("/assets/") == []


def test_clients_of_one_thread_share_a_session_and_each_sends_its_own_token(
    sandbox, least_privilege_token, grace_token
):
    from integrations.sandbox.asana.seed import ADA, GRACE

    ada_client, grace_client = AsanaClient(least_privilege_token), AsanaClient(grace_token)
    assert ada_client.session is grace_client.session  # one session, its pooled connections
    assert "Authorization" not in ada_client.session.headers  # never a user's token
    assert [ada_client.me()["gid"], grace_client.me()["gid"], ada_client.me()["gid"]] == [
        ADA, GRACE, ADA]


def test_another_thread_gets_a_session_of_its_own(sandbox, least_privilege_token):
    import threading

    here = AsanaClient(least_privilege_token).session
    there = []
    thread = threading.Thread(target=lambda: there.append(AsanaClient(least_privilege_token).session))
    thread.start()
    thread.join()
    assert there and there[0] is not here


def test_a_call_made_for_a_request_carries_its_request_id_and_one_made_outside_none(
    sandbox, least_privilege_token
):
    from config.observability.request_id import request_id_reset, request_id_set

    client = AsanaClient(least_privilege_token)
    token = request_id_set("7f3c0c5e8a9b4d21a0e6b1c2d3e4f5a6")
    try:
        client.me()
    finally:
        request_id_reset(token)
    client.me()
    inside, outside = sandbox.requests("/api/1.0/users/me")
    assert inside["headers"]["x-request-id"] == "7f3c0c5e8a9b4d21a0e6b1c2d3e4f5a6"
    assert "x-request-id" not in outside["headers"]
