"""The Asana simulator's own `/_sandbox/<action>` controls (JSON in, JSON out; see app.py)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from integrations.sandbox.asana.errors import AsanaError
from integrations.sandbox.asana.representations import task_record
from integrations.sandbox.asana.seed import ADA
from integrations.sandbox.asana.store import Attachment
from integrations.sandbox.asana.tasks import change_task
from integrations.sandbox.base import Request, Response

if TYPE_CHECKING:
    from integrations.sandbox.asana.app import AsanaSandbox

UNKNOWN_USER = "unknown user: {reference}"
TOKEN_OR_USER_NEEDED = "give access_token or user"
TOKEN_NEEDED = "give token"
GID_NEEDED = "give gid"
UNKNOWN_OPTION = "unknown option: {name}"
NAME_NEEDED = "give name"


def _bad(message: str, status: int = 400) -> Response:
    return Response.json({"error": message}, status=status)


def _user(app: AsanaSandbox, reference: Any):
    with app.lock:
        user = app.store.user_by_reference(str(reference), me=app.store.users[ADA])
    if user is None:
        raise LookupError(UNKNOWN_USER.format(reference=reference))
    return user


def handle(app: AsanaSandbox, action: str, request: Request) -> Response | None:
    """The response for a known action, or None for the base class to answer 404."""
    payload = request.json() or {}
    if not isinstance(payload, dict):
        return _bad("expected a JSON object")
    try:
        handler = _ACTIONS.get(action)
        return handler(app, payload) if handler else None
    except LookupError as error:
        return _bad(str(error.args[0]), 404)
    except AsanaError as error:
        return _bad(error.message, error.status)


def _expire_token(app: AsanaSandbox, payload: dict) -> Response:
    if "access_token" in payload:
        count = app.oauth.expire(token=str(payload["access_token"]))
    elif "user" in payload:
        count = app.oauth.expire(user_gid=_user(app, payload["user"]).gid)
    else:
        return _bad(TOKEN_OR_USER_NEEDED)
    return Response.json({"data": {"expired": count}})


def _revoke_token(app: AsanaSandbox, payload: dict) -> Response:
    if not payload.get("token"):
        return _bad(TOKEN_NEEDED)
    return Response.json({"data": {"revoked": app.oauth.revoke_token(str(payload["token"]))}})


def _issue_token(app: AsanaSandbox, payload: dict) -> Response:
    user = _user(app, payload.get("user", ADA))
    scopes = frozenset(str(payload.get("scope", "")).split())
    return Response.json(app.oauth.issue(user, scopes))


def _change_task(app: AsanaSandbox, payload: dict) -> Response:
    if not payload.get("gid"):
        return _bad(GID_NEEDED)
    actor = _user(app, payload.get("user", ADA))
    record, changed = change_task(app, str(payload["gid"]), payload.get("changes") or {}, actor)
    return Response.json({"data": record, "changed": changed})


def _task(app: AsanaSandbox, payload: dict) -> Response:
    gid = str(payload.get("gid", ""))
    with app.lock:
        task = app.store.tasks.get(gid)
        if task is None:
            raise LookupError(f"unknown task: {gid}")
        return Response.json({"data": task_record(app.store, task, app.app_url)})


def _attachment_add(app: AsanaSandbox, payload: dict) -> Response:
    """Attach a file Asana hosts ({"host": "asana", "content_base64", "content_type"}) or a link
    to another service ({"host": "dropbox", "view_url"}) to a task, as a user would in Asana."""
    parent, name = str(payload.get("parent", "")), str(payload.get("name") or "")
    host = str(payload.get("host") or "asana")
    if not name:
        return _bad(NAME_NEEDED)
    with app.lock:
        if parent not in app.store.tasks:
            raise LookupError(f"unknown task: {parent}")
        attachment = Attachment(
            app.store.new_gid(), name, parent, host,
            datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            content=base64.b64decode(payload.get("content_base64") or "") if host == "asana"
            else None,
            content_type=str(payload.get("content_type") or "application/octet-stream"),
            view_url=None if host == "asana" else str(payload.get("view_url") or ""),
        )
        app.store.add(attachment)
    return Response.json({"data": {"gid": attachment.gid, "name": name, "host": host}})


def _options(app: AsanaSandbox, payload: dict) -> Response:
    for name in payload:
        if name not in ("token_lifetime", "rotate_refresh_tokens", "refresh_reuse_seconds"):
            return _bad(UNKNOWN_OPTION.format(name=name))
    app.set_options(**{name: str(value) for name, value in payload.items()})
    return Response.json({"data": app.options()})


def _lose_refresh_answers(app: AsanaSandbox, payload: dict) -> Response:
    """The next `times` successful refresh answers are held back `hang_seconds` (oauth.py)."""
    times = int(payload.get("times", 1))
    hang_seconds = float(payload.get("hang_seconds", 30))
    app.oauth.lose_refresh_answers(times=times, hang_seconds=hang_seconds)
    return Response.json({"data": {"times": times, "hang_seconds": hang_seconds}})


def _webhooks(app: AsanaSandbox, payload: dict) -> Response:
    if payload.get("wait", True):
        app.webhooks.wait_idle(timeout=float(payload.get("timeout", 15)))
    with app.lock:
        hooks = [
            {key: value for key, value in hook.record().items()} | {"owner": hook.owner}
            for hook in app.webhooks.hooks.values()
        ]
        return Response.json({"data": hooks, "deliveries": list(app.webhooks.deliveries)})


_ACTIONS = {
    "expire_token": _expire_token,
    "revoke_token": _revoke_token,
    "issue_token": _issue_token,
    "change_task": _change_task,
    "task": _task,
    "attachment_add": _attachment_add,
    "options": _options,
    "webhooks": _webhooks,
    "lose_refresh_answers": _lose_refresh_answers,
}
