"""The Jira simulator's REST API v2: shapes, validation errors and refusals as Jira answers them."""

from __future__ import annotations

import pytest
import requests

from tests.fixtures.jira import jira_auth, jira_oauth_dance


@pytest.fixture
def api(jira_sandbox, jira_consumer, jira_alice_token):
    """A requests session signing as alice."""
    session = requests.Session()
    session.auth = jira_auth(jira_consumer, jira_alice_token)
    session.base = f"{jira_sandbox.base_url}/rest/api/2"
    return session


def test_server_info_is_anonymous_and_reports_the_configured_version(jira_sandbox, jira_consumer):
    jira_sandbox.control("version", version="8.20.10", server_title="ACME Jira")

    info = requests.get(f"{jira_sandbox.base_url}/rest/api/2/serverInfo", timeout=5).json()

    assert info["version"] == "8.20.10"
    assert info["versionNumbers"] == [8, 20, 10]
    assert info["buildNumber"] == 820010
    assert info["serverTitle"] == "ACME Jira"


def test_anonymous_request_to_a_protected_resource_answers_401(jira_sandbox, jira_consumer):
    response = requests.get(f"{jira_sandbox.base_url}/rest/api/2/issue/TEST-1", timeout=5)

    assert response.status_code == 401
    assert response.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]


def test_issue_carries_the_fields_of_the_unified_ticket_model(api, jira_sandbox):
    issue = api.get(f"{api.base}/issue/TEST-1", timeout=5).json()

    fields = issue["fields"]
    assert issue["key"] == "TEST-1" and issue["id"] == "10000"
    assert fields["summary"] == "Set up the staging environment"
    assert fields["status"]["name"] == "In Progress"
    assert fields["status"]["statusCategory"]["key"] == "indeterminate"
    assert fields["priority"]["name"] == "High"
    assert fields["assignee"]["displayName"] == "Alice Anders"
    assert fields["assignee"]["emailAddress"] == "alice@example.com"
    assert fields["labels"] == ["infra", "staging"]
    assert fields["duedate"] == "2030-06-28"
    assert fields["project"]["key"] == "TEST"
    assert fields["attachment"][0]["content"].startswith(
        jira_sandbox.base_url + "/secure/attachment/"
    )
    assert fields["updated"].endswith("+0000")


def test_issue_fields_parameter_limits_the_fields(api):
    issue = api.get(
        f"{api.base}/issue/TEST-1", params={"fields": "summary,status"}, timeout=5
    ).json()

    assert set(issue["fields"]) == {"summary", "status"}


def test_issue_in_a_project_the_user_cannot_browse_is_not_found(jira_sandbox, jira_consumer):
    bob = jira_oauth_dance(jira_sandbox.base_url, jira_consumer, user="bob")

    response = requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/issue/OPS-1",
        auth=jira_auth(jira_consumer, bob),
        timeout=5,
    )

    assert response.status_code == 404
    assert response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


def test_createmeta_expands_fields_and_filters_by_project_and_issue_type(api):
    meta = api.get(
        f"{api.base}/issue/createmeta",
        params={
            "projectKeys": "OPS",
            "issuetypeNames": "Incident",
            "expand": "projects.issuetypes.fields",
        },
        timeout=5,
    ).json()

    [project] = meta["projects"]
    [issuetype] = project["issuetypes"]
    fields = issuetype["fields"]
    assert project["key"] == "OPS" and issuetype["name"] == "Incident"
    assert fields["summary"]["required"] is True
    assert fields["customfield_10200"]["required"] is True
    assert [v["value"] for v in fields["customfield_10200"]["allowedValues"]] == [
        "Sev 1",
        "Sev 2",
        "Sev 3",
    ]
    assert fields["description"]["required"] is False


def test_createmeta_without_expand_lists_issue_types_only(api):
    meta = api.get(f"{api.base}/issue/createmeta", timeout=5).json()

    assert {p["key"] for p in meta["projects"]} == {"TEST", "OPS"}
    assert all("fields" not in t for p in meta["projects"] for t in p["issuetypes"])


def test_createmeta_is_gone_from_jira_9_and_replaced_by_issuetypes_endpoints(api, jira_sandbox):
    jira_sandbox.control("version", version="9.4.0")

    legacy = api.get(f"{api.base}/issue/createmeta", timeout=5)
    types = api.get(f"{api.base}/issue/createmeta/TEST/issuetypes", timeout=5).json()
    task_fields = api.get(f"{api.base}/issue/createmeta/TEST/issuetypes/10002", timeout=5).json()

    assert legacy.status_code == 404
    assert [t["name"] for t in types["values"]] == ["Task", "Bug", "Story"]
    assert {f["fieldId"] for f in task_fields["values"]} >= {"summary", "description", "priority"}


def test_create_issue_without_required_fields_answers_jira_error_body(api):
    response = api.post(
        f"{api.base}/issue",
        json={
            "fields": {
                "project": {"key": "OPS"},
                "issuetype": {"name": "Incident"},
                "labels": ["a b"],
            }
        },
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json() == {
        "errorMessages": [],
        "errors": {
            "summary": "You must specify a summary of the issue.",
            "customfield_10200": "Severity is required.",
            "labels": "The label 'a b' contains spaces which is invalid.",
        },
    }


def test_create_issue_with_unknown_project_answers_valid_project_is_required(api):
    response = api.post(
        f"{api.base}/issue",
        json={
            "fields": {"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}
        },
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"project": "valid project is required"}


def test_create_issue_answers_201_with_id_key_and_self(api):
    response = api.post(
        f"{api.base}/issue",
        json={
            "fields": {
                "project": {"id": "10001"},
                "issuetype": {"id": "10100"},
                "summary": "Disk almost full",
                "customfield_10200": {"value": "Sev 1"},
                "assignee": {"name": "alice"},
                "duedate": "2031-01-15",
            }
        },
        timeout=5,
    )

    assert response.status_code == 201
    created = response.json()
    assert created["key"] == "OPS-2"
    assert created["self"].endswith(f"/rest/api/2/issue/{created['id']}")


def test_edit_issue_answers_204_and_changes_the_fields(api):
    response = api.put(
        f"{api.base}/issue/TEST-2",
        json={
            "fields": {"summary": "Blank login page on Safari 17"},
            "update": {"labels": [{"add": "safari"}]},
        },
        timeout=5,
    )

    issue = api.get(f"{api.base}/issue/TEST-2", timeout=5).json()
    assert response.status_code == 204
    assert issue["fields"]["summary"] == "Blank login page on Safari 17"
    assert issue["fields"]["labels"] == ["frontend", "safari"]


def test_edit_issue_with_a_field_not_on_the_screen_is_refused(api):
    response = api.put(
        f"{api.base}/issue/TEST-2", json={"fields": {"status": {"name": "Done"}}}, timeout=5
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
    }


def test_attachment_upload_without_xsrf_header_is_refused(api):
    response = api.post(
        f"{api.base}/issue/TEST-1/attachments", files={"file": ("a.txt", b"hello")}, timeout=5
    )

    assert response.status_code == 403
    assert response.text == "XSRF check failed"


def test_attachment_upload_answers_a_list_and_the_content_url_serves_the_bytes(api):
    response = api.post(
        f"{api.base}/issue/TEST-2/attachments",
        files={"file": ("screenshot.png", b"\x89PNG fake", "image/png")},
        headers={"X-Atlassian-Token": "no-check"},
        timeout=5,
    )

    [attachment] = response.json()
    content = api.get(attachment["content"], timeout=5)
    assert response.status_code == 200
    assert attachment["filename"] == "screenshot.png" and attachment["mimeType"] == "image/png"
    assert attachment["size"] == len(b"\x89PNG fake")
    assert content.content == b"\x89PNG fake"


def test_html_mode_answers_a_login_page_on_rest_paths(api, jira_sandbox):
    jira_sandbox.control("html_mode", enabled=True)

    response = api.get(f"{api.base}/myself", timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Sign in" in response.text


def test_injected_fault_answers_jira_error_envelope(api, jira_sandbox):
    jira_sandbox.fault(path_prefix="/rest/api/2/issue", status=503, times=1)

    response = api.get(f"{api.base}/issue/TEST-1", timeout=5)

    assert response.status_code == 503
    assert response.json()["errorMessages"] and response.json()["errors"] == {}


def test_injected_401_is_an_oauth_token_rejection(api, jira_sandbox):
    jira_sandbox.fault(path_prefix="/rest/api/2/myself", status=401, times=1)

    response = api.get(f"{api.base}/myself", timeout=5)

    assert response.status_code == 401
    assert response.text == "oauth_problem=token_rejected"
