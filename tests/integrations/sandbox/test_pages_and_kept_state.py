"""The simulators as a trial user meets them: home pages with links to copy, HTML pages behind
"Open in Asana ↗" / "KEY ↗", and state that survives a restart (`--state-file`)."""

from __future__ import annotations

import re

import requests

from integrations.sandbox.asana.seed import ACME_WORKSPACE, ADA, WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.fixtures.sandbox_process import running_sandbox

TASK_PAGE = f"/1/{ACME_WORKSPACE}/task/{WEBSITE_TASK_FIRST}"


def test_asana_home_page_lists_projects_and_copyable_task_links(asana_sandbox):
    answer = requests.get(asana_sandbox.url("/"), timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Website Relaunch" in answer.text
    # The permalink Conduit stores for the task, in a read-only box with a Copy button.
    assert re.search(rf'<input class="link" id="task-{WEBSITE_TASK_FIRST}" value="[^"]+'
                     rf'/1/{ACME_WORKSPACE}/task/{WEBSITE_TASK_FIRST}" readonly', answer.text)
    assert f'data-copy="task-{WEBSITE_TASK_FIRST}"' in answer.text


def test_asana_task_permalinks_open_an_html_task_page(asana_sandbox):
    for path in (TASK_PAGE, f"/0/{WEBSITE_PROJECT}/{WEBSITE_TASK_FIRST}",
                 f"/1/{ACME_WORKSPACE}/project/{WEBSITE_PROJECT}/task/{WEBSITE_TASK_FIRST}/f"):
        answer = requests.get(asana_sandbox.url(path), timeout=5)
        assert answer.status_code == 200, path
        assert '<h1 id="task-name">Draft homepage copy</h1>' in answer.text
    missing = requests.get(asana_sandbox.url(f"/1/{ACME_WORKSPACE}/task/42"), timeout=5)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")


def test_jira_home_and_browse_pages_are_html(jira_sandbox):
    home = requests.get(jira_sandbox.url("/"), timeout=5)
    assert home.status_code == 200 and "Conduit Test (TEST)" in home.text
    assert f'value="{jira_sandbox.base_url}/browse/TEST-1"' in home.text
    issue = requests.get(jira_sandbox.url("/browse/TEST-1"), timeout=5)
    assert issue.status_code == 200
    assert '<span id="issue-summary">Set up the staging environment</span>' in issue.text
    assert requests.get(jira_sandbox.url("/browse/TEST-999"), timeout=5).status_code == 404


def test_jira_application_links_and_changes_survive_a_restart(tmp_path, jira_rsa_keys):
    state = tmp_path / "jira.pickle"
    link = {"consumer_key": "conduit-kept", "name": "Conduit",
            "public_key": jira_rsa_keys.public_pem}
    with running_sandbox("jira", state_file=state) as jira:
        jira.control("applinks", **link)
        jira.control("issue_change", issue="TEST-1", fields={"summary": "Kept summary"})
    assert state.stat().st_mode & 0o777 == 0o600
    with running_sandbox("jira", state_file=state) as jira:
        applinks = jira.http.get(jira.url("/_sandbox/applinks"), timeout=5).json()["data"]
        assert [item["consumer_key"] for item in applinks] == ["conduit-kept"]
        issues = {item["key"]: item for item in jira.control("issues")["data"]}
        assert issues["TEST-1"]["summary"] == "Kept summary"


def test_asana_tokens_and_task_changes_survive_a_restart(tmp_path):
    state = tmp_path / "asana.pickle"
    with running_sandbox("asana", state_file=state) as asana:
        token = asana.control("issue_token", user=ADA)["access_token"]
        asana.control("change_task", gid=WEBSITE_TASK_FIRST, changes={"name": "Kept name"})
    with running_sandbox("asana", state_file=state) as asana:
        answer = requests.get(asana.url(f"/api/1.0/tasks/{WEBSITE_TASK_FIRST}"), timeout=5,
                              headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["name"] == "Kept name"
