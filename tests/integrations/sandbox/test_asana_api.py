"""Asana simulator REST behaviour: pagination, opt_fields, visibility, attachments, lookups."""

from __future__ import annotations

import pytest
import requests

from integrations.sandbox.asana import errors, seed

API = "/api/1.0"
BACKLOG_TASKS = f"{API}/projects/{seed.BACKLOG_PROJECT}/tasks"


@pytest.fixture(scope="module")
def as_user(asana_sandbox):
    tokens = {
        user: asana_sandbox.control("issue_token", user=user)["access_token"]
        for user in (seed.ADA, seed.GRACE)
    }

    def get(path: str, user: str = seed.ADA, **params: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        return requests.get(asana_sandbox.url(path), params=params, headers=headers, timeout=5)

    return get


def test_list_without_limit_is_whole_and_has_no_next_page(as_user):
    body = as_user(BACKLOG_TASKS).json()
    assert len(body["data"]) == seed.BACKLOG_TASK_COUNT
    assert "next_page" not in body


def test_pages_follow_next_page_to_a_null_end(as_user, asana_sandbox):
    body = as_user(BACKLOG_TASKS, limit="100").json()
    seen = [task["gid"] for task in body["data"]]
    while body["next_page"] is not None:
        assert body["next_page"]["uri"].endswith(body["next_page"]["path"])
        assert body["next_page"]["path"].startswith(f"/projects/{seed.BACKLOG_PROJECT}/tasks?")
        body = as_user(API + body["next_page"]["path"])
        body = body.json()
        seen += [task["gid"] for task in body["data"]]
    assert len(seen) == len(set(seen)) == seed.BACKLOG_TASK_COUNT


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_outside_1_to_100_is_a_400(as_user, limit):
    answer = as_user(BACKLOG_TASKS, limit=limit)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == errors.LIMIT_OUT_OF_RANGE


def test_offset_from_another_list_is_refused(as_user):
    offset = as_user(f"{API}/projects/{seed.BACKLOG_PROJECT}/tasks", limit="1").json()
    answer = as_user(
        f"{API}/projects/{seed.WEBSITE_PROJECT}/tasks",
        limit="1",
        offset=offset["next_page"]["offset"],
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == errors.INVALID_OFFSET


def test_lists_are_compact_by_default(as_user):
    task = as_user(BACKLOG_TASKS, limit="1").json()["data"][0]
    assert set(task) == {"gid", "resource_type", "name", "resource_subtype"}


def test_opt_fields_return_exactly_what_was_asked(as_user):
    task = as_user(
        f"{API}/tasks/{seed.WEBSITE_TASK_FIRST}", opt_fields="name,assignee,tags.name"
    ).json()
    assert task["data"] == {
        "gid": seed.WEBSITE_TASK_FIRST,
        "name": "Draft homepage copy",
        "assignee": {"gid": seed.ADA, "resource_type": "user"},
        "tags": [{"gid": seed.TAG_FRONTEND, "name": "frontend"}],
    }


def test_full_task_carries_permalink_priority_and_memberships(as_user):
    task = as_user(f"{API}/tasks/{seed.WEBSITE_TASK_FIRST}").json()["data"]
    assert task["permalink_url"] == (
        f"https://app.asana.com/1/{seed.ACME_WORKSPACE}/task/{seed.WEBSITE_TASK_FIRST}"
    )
    assert task["memberships"][0]["section"]["name"] == "To do"
    assert task["assignee"]["name"] == "Ada Lovelace"
    fields = {field["name"]: field["display_value"] for field in task["custom_fields"]}
    assert fields["Priority"] == "High"
    assert "html_notes" not in task  # opt-in only


def test_second_user_does_not_see_the_private_project(as_user):
    names = [
        p["name"]
        for p in as_user(f"{API}/workspaces/{seed.ACME_WORKSPACE}/projects", seed.GRACE).json()[
            "data"
        ]
    ]
    assert "Confidential: Acquisition" not in names
    assert (
        as_user(f"{API}/projects/{seed.CONFIDENTIAL_PROJECT}/tasks", seed.GRACE).status_code == 403
    )
    assert as_user(f"{API}/tasks/{seed.PERSONAL_TASK}", seed.GRACE).status_code == 403
    assert as_user(f"{API}/tasks/{seed.PERSONAL_TASK}", seed.ADA).status_code == 200


def test_search_and_typeahead_leave_out_what_the_user_cannot_see(as_user):
    search = f"{API}/workspaces/{seed.ACME_WORKSPACE}/tasks/search"
    assert as_user(search, seed.ADA, text="term sheet").json()["data"]
    assert as_user(search, seed.GRACE, text="term sheet").json()["data"] == []
    typeahead = f"{API}/workspaces/{seed.ACME_WORKSPACE}/typeahead"
    found = as_user(typeahead, resource_type="task", query="backlog item 012").json()["data"]
    assert [task["name"] for task in found] == ["Backlog item 012"]


def test_hosted_attachment_downloads_without_a_token_and_links_do_not(as_user):
    attachments = as_user(
        f"{API}/tasks/{seed.WEBSITE_TASK_FIRST}/attachments",
        opt_fields="name,host,download_url,view_url",
    ).json()["data"]
    hosts = {a["name"]: a for a in attachments}
    assert hosts["homepage-copy.pdf"]["host"] == "asana"
    assert hosts["Wireframes.fig"]["host"] == "dropbox"
    assert hosts["Wireframes.fig"]["download_url"] is None
    assert hosts["Brand guidelines"]["view_url"].startswith("https://docs.google.com/")
    file = requests.get(hosts["homepage-copy.pdf"]["download_url"], timeout=5)
    assert file.status_code == 200
    assert file.content.startswith(b"%PDF")
    tampered = hosts["hero.png"]["download_url"].replace("token=", "token=0")
    assert requests.get(tampered, timeout=5).status_code == 403


def test_unknown_route_and_object_answer_asanas_404(as_user):
    assert as_user(f"{API}/nothing/here").json()["errors"][0]["message"] == errors.NO_MATCHING_ROUTE
    missing = as_user(f"{API}/tasks/1999999999999999")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["help"] == errors.ERRORS_HELP


def test_invalid_update_changes_nothing(asana_sandbox):
    token = asana_sandbox.control("issue_token", user=seed.ADA)["access_token"]
    gid = str(int(seed.WEBSITE_TASK_FIRST) + 7)
    before = asana_sandbox.control("task", gid=gid)["data"]
    answer = requests.put(
        asana_sandbox.url(f"{API}/tasks/{gid}"),
        json={"data": {"name": "Should not stick", "due_on": "next tuesday"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert asana_sandbox.control("task", gid=gid)["data"] == before


def test_injected_server_error_uses_asanas_error_body(asana_sandbox, as_user):
    asana_sandbox.fault(path_prefix=f"{API}/workspaces", status=503, times=1)
    answer = as_user(f"{API}/workspaces")
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["phrase"]
    assert as_user(f"{API}/workspaces").status_code == 200


def test_reset_restores_the_seed(asana_sandbox):
    gid = str(int(seed.GARDEN_TASK_FIRST) + 1)
    asana_sandbox.control("change_task", gid=gid, changes={"name": "Changed before reset"})
    asana_sandbox.reset()
    assert asana_sandbox.control("task", gid=gid)["data"]["name"] == "Build raised bed"
