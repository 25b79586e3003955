"""Asana task JSON -> Ticket: Priority from the enum field only, no other custom field."""

from __future__ import annotations

from dataclasses import asdict

from integrations.asana.mapping import priority_of, status_of, ticket_from_task
from integrations.providers import Credentials, get_provider
from integrations.sandbox.asana import seed

MIGRATE_BLOG = str(int(seed.WEBSITE_TASK_FIRST) + 3)  # Priority High, Customer "Globex"


def _task(**fields) -> dict:
    return {"gid": "1", "name": "A task", "completed": False, **fields}


def test_priority_comes_from_the_enum_field_named_priority():
    task = _task(
        custom_fields=[
            {"name": "Estimate", "resource_subtype": "number", "number_value": 3},
            {"name": "Priority", "resource_subtype": "enum", "enum_value": {"name": "Medium"}},
        ]
    )
    assert priority_of(task) == "Medium"


def test_a_text_field_named_priority_is_not_the_priority():
    task = _task(
        custom_fields=[
            {"name": "Priority", "resource_subtype": "text", "text_value": "urgent!"},
        ]
    )
    assert priority_of(task) == ""


def test_priority_field_without_a_value_is_empty():
    task = _task(
        custom_fields=[{"name": "Priority", "resource_subtype": "enum", "enum_value": None}]
    )
    assert priority_of(task) == ""


def test_no_custom_fields_means_no_priority():
    assert priority_of(_task()) == ""


def test_status_is_done_or_open_with_the_section_when_known():
    in_doing = {"project": {"gid": "7"}, "section": {"name": "Doing"}}
    assert status_of(_task()) == "open"
    assert status_of(_task(completed=True)) == "done"
    assert status_of(_task(memberships=[in_doing])) == "open · Doing"


def test_status_prefers_the_section_of_the_project_being_viewed():
    memberships = [
        {"project": {"gid": "7"}, "section": {"name": "Doing"}},
        {"project": {"gid": "8"}, "section": {"name": "Review"}},
    ]
    assert status_of(_task(memberships=memberships), project_gid="8") == "open · Review"


def test_missing_fields_map_to_empty_strings():
    ticket = ticket_from_task({"gid": "42"})
    assert (ticket.title, ticket.description, ticket.assignee_name, ticket.url) == ("", "", "", "")
    assert ticket.status == "open"


def test_no_other_custom_field_reaches_the_ticket(sandbox, least_privilege_token):
    ticket = get_provider("asana").fetch_ticket(
        Credentials(access_token=least_privilege_token), MIGRATE_BLOG
    )
    assert ticket.priority == "High"
    everything = repr(asdict(ticket))
    assert "Globex" not in everything and "Customer" not in everything
    assert "Estimate" not in everything and "custom_field" not in everything


def test_other_custom_fields_are_not_even_fetched(sandbox, least_privilege_token):
    get_provider("asana").fetch_ticket(
        Credentials(access_token=least_privilege_token), seed.WEBSITE_TASK_FIRST
    )
    task_call = sandbox.requests(f"/api/1.0/tasks/{seed.WEBSITE_TASK_FIRST}")[0]
    fields = task_call["query"]["opt_fields"].split(",")
    custom = sorted(f for f in fields if f.startswith("custom_fields"))
    assert custom == [
        "custom_fields.enum_value.name",
        "custom_fields.name",
        "custom_fields.resource_subtype",
    ]
