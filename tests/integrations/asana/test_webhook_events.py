"""The one Asana delivery parser (integrations.asana.webhooks.events_parse, behind the provider's
webhook_receive): which tasks a delivery asks Conduit to refetch, and which it reports deleted.

Asana's event shape: https://developers.asana.com/reference/events (`action` is one of changed,
added, removed, deleted, undeleted; `resource` the object the event is about; `parent` where it
was added to or removed from)."""

from __future__ import annotations

import pytest

from integrations.asana.webhooks import events_parse as webhook_events_parse


def event(action: str, gid: object = "1", resource_type: str = "task", **extra) -> dict:
    return {"action": action, "resource": {"gid": gid, "resource_type": resource_type}, **extra}


def test_changed_added_and_undeleted_tasks_are_refetched_once_in_first_mention_order():
    payload = {"events": [event("changed", "2"), event("added", "1"), event("changed", "2"),
                          event("undeleted", "3")]}
    assert webhook_events_parse(payload) == (["2", "1", "3"], [])


def test_a_deleted_task_is_reported_gone_not_refetched():
    assert webhook_events_parse({"events": [event("deleted", "7")]}) == ([], ["7"])


def test_the_last_event_of_a_task_decides_between_refetch_and_gone():
    changed_then_deleted = {"events": [event("changed", "7"), event("deleted", "7")]}
    assert webhook_events_parse(changed_then_deleted) == ([], ["7"])
    deleted_then_undeleted = {"events": [event("deleted", "7"), event("undeleted", "7")]}
    assert webhook_events_parse(deleted_then_undeleted) == (["7"], [])


def test_a_task_removed_from_a_project_is_not_reported_deleted():
    # "removed" with a project parent: the task still exists in Asana, its card stays valid.
    removed = event("removed", "7", parent={"gid": "9", "resource_type": "project"})
    assert webhook_events_parse({"events": [removed]}) == ([], [])


def test_events_about_other_resources_are_ignored():
    payload = {"events": [
        event("added", "5", "story", parent={"gid": "1", "resource_type": "task"}),
        event("changed", "6", "project"),
        event("deleted", "8", "section"),
    ]}
    assert webhook_events_parse(payload) == ([], [])


def test_numeric_gids_are_read_as_strings():
    assert webhook_events_parse({"events": [event("changed", 1234)]}) == (["1234"], [])


@pytest.mark.parametrize("payload", [
    None, [], "events", {}, {"events": {}}, {"events": ["x", 1, None]},
    {"events": [{"action": "changed"}]},
    {"events": [{"action": "changed", "resource": "1"}]},
    {"events": [event("changed", "")]}, {"events": [event("changed", None)]},
    {"events": [event("exploded", "1")]},
])
def test_a_malformed_or_empty_delivery_names_no_task(payload):
    assert webhook_events_parse(payload) == ([], [])
