"""Client conformance: Atlassian's `jira` Python library works against the Jira simulator."""

from __future__ import annotations

import base64

import pytest
from jira import JIRA, JIRAError

from tests.fixtures.jira import jira_oauth_dance


@pytest.fixture
def jira_client(jira_sandbox, jira_consumer) -> JIRA:
    token = jira_oauth_dance(jira_sandbox.base_url, jira_consumer, user="alice")
    return JIRA(
        server=jira_sandbox.base_url,
        oauth={
            "access_token": token["oauth_token"],
            "access_token_secret": token["oauth_token_secret"],
            "consumer_key": jira_consumer.key,
            "key_cert": jira_consumer.keys.private_pem,
        },
        max_retries=0,
    )


def test_jira_library_reads_server_info_creates_an_issue_and_uploads_an_attachment(
    jira_sandbox, jira_client, tmp_path
):
    notes = tmp_path / "design-notes.txt"
    notes.write_bytes(b"Copied from the board.\n")

    info = jira_client.server_info()
    issue = jira_client.create_issue(
        project={"key": "TEST"},
        issuetype={"name": "Task"},
        summary="Created by the jira library",
        description="From a Conduit card",
        labels=["conduit"],
    )
    attachment = jira_client.add_attachment(issue=issue.key, attachment=str(notes))

    assert info["versionNumbers"] == [8, 5, 0]
    assert info["deploymentType"] == "Server"
    assert issue.fields.summary == "Created by the jira library"
    assert issue.fields.reporter.name == "alice"
    assert issue.fields.status.name == "To Do"
    assert attachment.filename == "design-notes.txt"
    assert attachment.size == len(notes.read_bytes())
    stored = {entry["key"]: entry for entry in jira_sandbox.control("issues")["data"]}
    assert stored[issue.key]["summary"] == "Created by the jira library"
    assert stored[issue.key]["attachments"] == ["design-notes.txt"]
    files = jira_sandbox.control("attachments", issue=issue.key)["data"]
    assert base64.b64decode(files[0]["content_base64"]) == notes.read_bytes()


def test_jira_library_reads_attachment_content_through_the_content_url(jira_client):
    issue = jira_client.issue("TEST-1")

    attachment = issue.fields.attachment[0]

    assert attachment.filename == "staging-notes.txt"
    assert attachment.get() == b"Staging runs on 3 nodes.\n"


def test_jira_library_surfaces_field_errors_of_a_refused_create(jira_client):
    with pytest.raises(JIRAError) as refused:
        jira_client.create_issue(project={"key": "OPS"}, issuetype={"name": "Incident"}, summary="")

    assert refused.value.status_code == 400
    assert "You must specify a summary of the issue." in refused.value.text
    assert "Severity is required." in refused.value.text


def test_jira_library_resolves_project_and_issue_type_names(jira_client):
    issue = jira_client.create_issue(project="TEST", issuetype="Bug", summary="Named by strings")

    assert issue.key.startswith("TEST-")
    assert issue.fields.issuetype.name == "Bug"
