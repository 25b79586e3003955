"""Every response of the Asana simulator's endpoints validates against Asana's own OpenAPI."""

from __future__ import annotations

import pytest
import requests

from integrations.sandbox.asana import seed
from tests.fixtures.asana import asana_oauth_tokens
from tests.integrations.sandbox.asana_openapi import (
    asana_openapi,
    validate_asana_error_body,
    validate_asana_response,
)
from tests.integrations.sandbox.asana_webhook_receiver import WebhookReceiver

API = "/api/1.0"
W = seed.ACME_WORKSPACE
TASK = seed.WEBSITE_TASK_FIRST

# (id, method, path, query, JSON body, who, expected status)
CASES = [
    ("me", "GET", "/users/me", {}, None, "ada", 200),
    (
        "me_opt_fields",
        "GET",
        "/users/me",
        {"opt_fields": "name,email,workspaces.name"},
        None,
        "ada",
        200,
    ),
    ("me_without_token", "GET", "/users/me", {}, None, None, 401),
    ("user_by_gid", "GET", f"/users/{seed.GRACE}", {}, None, "ada", 200),
    ("workspaces", "GET", "/workspaces", {}, None, "ada", 200),
    ("workspaces_paginated", "GET", "/workspaces", {"limit": "1"}, None, "ada", 200),
    ("workspace", "GET", f"/workspaces/{W}", {}, None, "ada", 200),
    ("workspace_unknown", "GET", "/workspaces/1999999999999999", {}, None, "ada", 404),
    ("workspace_projects", "GET", f"/workspaces/{W}/projects", {"limit": "2"}, None, "ada", 200),
    ("projects_by_workspace", "GET", "/projects", {"workspace": W}, None, "grace", 200),
    ("project", "GET", f"/projects/{seed.WEBSITE_PROJECT}", {}, None, "ada", 200),
    ("private_project", "GET", f"/projects/{seed.CONFIDENTIAL_PROJECT}", {}, None, "grace", 403),
    ("sections", "GET", f"/projects/{seed.WEBSITE_PROJECT}/sections", {}, None, "ada", 200),
    (
        "project_tasks",
        "GET",
        f"/projects/{seed.BACKLOG_PROJECT}/tasks",
        {"limit": "100"},
        None,
        "ada",
        200,
    ),
    (
        "project_tasks_opt_fields",
        "GET",
        f"/projects/{seed.WEBSITE_PROJECT}/tasks",
        {
            "opt_fields": "name,assignee.name,completed,custom_fields.name,custom_fields.display_value"
        },
        None,
        "ada",
        200,
    ),
    (
        "project_tasks_limit_too_big",
        "GET",
        f"/projects/{seed.BACKLOG_PROJECT}/tasks",
        {"limit": "101"},
        None,
        "ada",
        400,
    ),
    ("task", "GET", f"/tasks/{TASK}", {}, None, "ada", 200),
    ("task_unassigned", "GET", f"/tasks/{int(TASK) + 3}", {}, None, "ada", 200),
    (
        "task_opt_fields",
        "GET",
        f"/tasks/{TASK}",
        {"opt_fields": "name,notes,tags.name,memberships.section.name"},
        None,
        "ada",
        200,
    ),
    ("task_hidden", "GET", f"/tasks/{seed.CONFIDENTIAL_TASK}", {}, None, "grace", 403),
    ("task_unknown", "GET", "/tasks/1999999999999999", {}, None, "ada", 404),
    ("task_not_a_gid", "GET", "/tasks/not-a-gid", {}, None, "ada", 400),
    (
        "task_update",
        "PUT",
        f"/tasks/{int(TASK) + 1}",
        {},
        {"data": {"notes": "Updated by the schema test"}},
        "ada",
        200,
    ),
    (
        "task_create",
        "POST",
        "/tasks",
        {},
        {"data": {"name": "Schema test task", "projects": [seed.WEBSITE_PROJECT]}},
        "ada",
        201,
    ),
    ("tags", "GET", "/tags", {"workspace": W}, None, "ada", 200),
    ("workspace_tags", "GET", f"/workspaces/{W}/tags", {}, None, "ada", 200),
    ("tag", "GET", f"/tags/{seed.TAG_BUG}", {}, None, "ada", 200),
    ("task_tags", "GET", f"/tasks/{int(TASK) + 1}/tags", {}, None, "ada", 200),
    ("attachments", "GET", "/attachments", {"parent": TASK}, None, "ada", 200),
    ("attachment_hosted", "GET", f"/attachments/{seed.ATTACHMENT_PDF}", {}, None, "ada", 200),
    ("attachment_link", "GET", f"/attachments/{seed.ATTACHMENT_DROPBOX}", {}, None, "ada", 200),
    (
        "typeahead",
        "GET",
        f"/workspaces/{W}/typeahead",
        {"resource_type": "task", "query": "backlog"},
        None,
        "ada",
        200,
    ),
    ("search", "GET", f"/workspaces/{W}/tasks/search", {"text": "homepage"}, None, "ada", 200),
]


@pytest.fixture(scope="module")
def tokens(asana_sandbox) -> dict[str, str]:
    asana_openapi()  # skips the module early when the spec is absent
    return {
        "ada": asana_oauth_tokens(asana_sandbox, user_gid=seed.ADA)["access_token"],
        "grace": asana_oauth_tokens(asana_sandbox, user_gid=seed.GRACE)["access_token"],
    }


def call(sandbox, tokens, method, path, query=None, body=None, who="ada") -> requests.Response:
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
    return requests.request(
        method, sandbox.url(API + path), params=query, json=body, headers=headers, timeout=10
    )


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "who", "status"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_response_matches_asana_openapi(
    asana_sandbox, tokens, method, path, query, body, who, status
):
    response = call(asana_sandbox, tokens, method, path, query, body, who)
    assert response.status_code == status, response.text
    validate_asana_response(response)


def test_legacy_task_attachments_path_matches_the_attachments_schema(asana_sandbox, tokens):
    # GET /tasks/{gid}/attachments predates GET /attachments?parent= and is not in the OAS.
    response = call(asana_sandbox, tokens, "GET", f"/tasks/{TASK}/attachments")
    assert response.status_code == 200
    validate_asana_response(response, as_path=f"{API}/attachments?parent={TASK}")


def test_rate_limited_answer_is_an_asana_error_with_retry_after(asana_sandbox, tokens):
    asana_sandbox.fault(path_prefix=f"{API}/users/me", status=429, retry_after=7, times=1)
    response = call(asana_sandbox, tokens, "GET", "/users/me")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    validate_asana_error_body(response.json())


def test_webhook_endpoints_match_asana_openapi(asana_sandbox, tokens):
    with WebhookReceiver() as receiver:
        created = call(
            asana_sandbox,
            tokens,
            "POST",
            "/webhooks",
            body={"data": {"resource": seed.WEBSITE_PROJECT, "target": receiver.url}},
        )
        assert created.status_code == 201, created.text
        validate_asana_response(created)
        gid = created.json()["data"]["gid"]
        for response in (
            call(asana_sandbox, tokens, "GET", f"/webhooks/{gid}"),
            call(asana_sandbox, tokens, "GET", "/webhooks", {"workspace": W, "limit": "10"}),
            call(asana_sandbox, tokens, "DELETE", f"/webhooks/{gid}"),
        ):
            assert response.status_code == 200, response.text
            validate_asana_response(response)
