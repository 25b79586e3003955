"""parse_link: every Asana task link form, on the host of ASANA_APP_URL; nothing else."""

from __future__ import annotations

import pytest

from integrations.providers import LinkRef, get_provider, parse_any_link

PROJECT, TASK, WORKSPACE = "1100000000002001", "1100000000100001", "1100000000000001"


@pytest.mark.parametrize(
    ("url", "container"),
    [
        (f"https://app.asana.com/0/{PROJECT}/{TASK}", PROJECT),
        (f"https://app.asana.com/0/{PROJECT}/{TASK}/f", PROJECT),
        (f"https://app.asana.com/0/{PROJECT}/{TASK}/", PROJECT),
        (f"https://app.asana.com/0/0/{TASK}/f", ""),
        (f"https://app.asana.com/1/{WORKSPACE}/project/{PROJECT}/task/{TASK}", PROJECT),
        (f"https://app.asana.com/1/{WORKSPACE}/project/{PROJECT}/task/{TASK}?focus=true", PROJECT),
        (f"https://app.asana.com/1/{WORKSPACE}/task/{TASK}", ""),
        (f"https://APP.asana.com/1/{WORKSPACE}/task/{TASK}#comments", ""),
        (f"  https://app.asana.com/0/{PROJECT}/{TASK}  ", PROJECT),
    ],
)
def test_task_link_forms_are_understood(url, container):
    reference = get_provider("asana").parse_link(url)
    assert reference == LinkRef(
        provider="asana", external_id=TASK, url=url.strip(), container_id=container
    )


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        f"http://app.asana.com/0/{PROJECT}/{TASK}",  # not the configured scheme
        f"https://app.asana.com.evil.example/0/{PROJECT}/{TASK}",
        f"https://evil.example/0/{PROJECT}/{TASK}",
        f"https://user@app.asana.com/0/{PROJECT}/{TASK}",
        f"https://app.asana.com:8443/0/{PROJECT}/{TASK}",
        f"https://app.asana.com/0/{PROJECT}",  # a project, not a task
        f"https://app.asana.com/0/{PROJECT}/list",
        f"https://app.asana.com/1/{WORKSPACE}/project/{PROJECT}",
        f"https://app.asana.com/1/{WORKSPACE}/project/{PROJECT}/list",
        f"https://app.asana.com/0/{PROJECT}/abc",
        f"https://app.asana.com/0/{PROJECT}/0",
        f"https://app.asana.com/0/{PROJECT}/{TASK}/f/extra",
        f"https://app.asana.com/2/{WORKSPACE}/task/{TASK}",
        f"https://app.asana.com/api/1.0/tasks/{TASK}",
        f"https://app.asana.com/0/{PROJECT}/{TASK}/../../evil",
        "https://app.asana.com/0/1/" + "9" * 40,
        "javascript:alert(1)//app.asana.com/0/1/2",
        "https://[::1/0/1/2",
    ],
)
def test_other_and_malformed_links_are_not_asana_tasks(url):
    assert get_provider("asana").parse_link(url) is None


def test_links_are_parsed_against_the_configured_app_host(settings):
    settings.ASANA_APP_URL = "http://127.0.0.1:8101"  # the trial's sandbox permalinks
    provider = get_provider("asana")
    assert (
        provider.parse_link(f"http://127.0.0.1:8101/1/{WORKSPACE}/task/{TASK}").external_id == TASK
    )
    assert provider.parse_link(f"https://app.asana.com/1/{WORKSPACE}/task/{TASK}") is None


def test_registry_finds_the_asana_provider_for_a_link():
    assert parse_any_link(f"https://app.asana.com/0/{PROJECT}/{TASK}/f").provider == "asana"
