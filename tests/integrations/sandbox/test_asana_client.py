"""The official `asana` v5 client, unchanged, works against the simulator."""

from __future__ import annotations

import asana
import pytest

from integrations.sandbox.asana import seed
from tests.fixtures.asana import asana_oauth_tokens


@pytest.fixture(scope="module")
def api_client(asana_sandbox):
    configuration = asana.Configuration()
    configuration.host = asana_sandbox.url("/api/1.0")
    configuration.access_token = asana_oauth_tokens(asana_sandbox)["access_token"]
    return asana.ApiClient(configuration)


def test_client_lists_the_callers_workspaces(api_client):
    workspaces = list(asana.WorkspacesApi(api_client).get_workspaces({}))
    assert [w["name"] for w in workspaces] == ["Acme Corp", "Community Garden"]


def test_client_pages_through_the_big_project_at_most_100_at_a_time(asana_sandbox, api_client):
    asana_sandbox.clear_requests()
    tasks = list(
        asana.TasksApi(api_client).get_tasks_for_project(
            seed.BACKLOG_PROJECT, {"opt_fields": "name,completed"}
        )
    )
    assert len(tasks) == seed.BACKLOG_TASK_COUNT
    assert len({task["gid"] for task in tasks}) == seed.BACKLOG_TASK_COUNT
    assert tasks[0]["name"] == "Backlog item 001"
    page_requests = asana_sandbox.requests(f"/api/1.0/projects/{seed.BACKLOG_PROJECT}/tasks")
    assert len(page_requests) == 3
    assert all(int(entry["query"]["limit"]) <= 100 for entry in page_requests)
    assert [("offset" in entry["query"]) for entry in page_requests] == [False, True, True]


def test_client_reads_a_task_with_its_priority(api_client):
    task = asana.TasksApi(api_client).get_task(seed.WEBSITE_TASK_FIRST, {})
    assert task["name"] == "Draft homepage copy"
    priority = next(f for f in task["custom_fields"] if f["name"] == "Priority")
    assert priority["enum_value"]["name"] == "High"


def test_client_creates_then_updates_a_task(asana_sandbox, api_client):
    tasks_api = asana.TasksApi(api_client)
    created = tasks_api.create_task(
        {"data": {"name": "Created by the asana client", "projects": [seed.WEBSITE_PROJECT]}},
        {"opt_fields": "name,projects.name,memberships.section.name"},
    )
    assert created["name"] == "Created by the asana client"
    assert created["projects"][0]["name"] == "Website Relaunch"
    assert created["memberships"][0]["section"]["name"] == "To do"

    updated = tasks_api.update_task(
        {"data": {"completed": True, "custom_fields": {seed.PRIORITY_FIELD: seed.PRIORITY_LOW}}},
        created["gid"],
        {},
    )
    assert updated["completed"] is True
    state = asana_sandbox.control("task", gid=created["gid"])["data"]
    assert state["completed"] is True
    priority = next(f for f in state["custom_fields"] if f["name"] == "Priority")
    assert priority["display_value"] == "Low"


def test_client_raises_api_exception_on_a_task_the_user_cannot_see(asana_sandbox):
    configuration = asana.Configuration()
    configuration.host = asana_sandbox.url("/api/1.0")
    configuration.access_token = asana_oauth_tokens(asana_sandbox, user_gid=seed.GRACE)[
        "access_token"
    ]
    with pytest.raises(asana.rest.ApiException) as raised:
        asana.TasksApi(asana.ApiClient(configuration)).get_task(seed.CONFIDENTIAL_TASK, {})
    assert raised.value.status == 403
