"""What every REST handler gets: the caller, the parsed options and Asana's response envelope.

https://developers.asana.com/reference/rest-api-reference: JSON in and out, every answer wrapped
in `{"data": ...}`; options come as `opt_*` query parameters or, for JSON bodies, in a top-level
`options` object next to `data` (https://developers.asana.com/docs/inputoutput-options).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from integrations.sandbox.asana import errors
from integrations.sandbox.asana.errors import AsanaError
from integrations.sandbox.asana.pagination import list_body
from integrations.sandbox.asana.representations import COMPACT_KEYS, parse_opt_fields, render
from integrations.sandbox.base import Request, Response

if TYPE_CHECKING:
    from integrations.sandbox.asana.app import AsanaSandbox
    from integrations.sandbox.asana.store import Store, User


@dataclass
class ApiCall:
    app: AsanaSandbox
    request: Request
    user: User

    @property
    def store(self) -> Store:
        return self.app.store

    # -- input -----------------------------------------------------------------------------
    def _body(self) -> dict:
        if not self.request.body:
            return {}
        if self.request.content_type == "application/x-www-form-urlencoded":
            parsed = parse_qs(self.request.body.decode("utf-8", "replace"))
            return {"data": {key: values[0] for key, values in parsed.items()}}
        try:
            body = json.loads(self.request.body)
        except ValueError as error:
            raise AsanaError(400, errors.INVALID_JSON) from error
        if not isinstance(body, dict):
            raise AsanaError(400, errors.INVALID_JSON)
        return body

    def data(self) -> dict:
        data = self._body().get("data")
        if not isinstance(data, dict):
            raise AsanaError(400, errors.MISSING_INPUT.format(name="data"))
        return data

    @property
    def fields(self) -> dict[str, dict] | None:
        raw = self.request.arg("opt_fields")
        if raw is None and self.request.method in ("POST", "PUT"):
            options = self._body().get("options") or {}
            raw = options.get("fields") if isinstance(options, dict) else None
        return parse_opt_fields(raw)

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.request.arg(name, default)

    def required_arg(self, name: str) -> str:
        value = self.request.arg(name)
        if not value:
            raise AsanaError(400, errors.MISSING_INPUT.format(name=name))
        return value

    # -- lookups ---------------------------------------------------------------------------
    def lookup(self, table: dict[str, Any], gid: str, kind: str) -> Any:
        """400 for what cannot be a gid, 404 for an unknown one (Asana's two messages)."""
        if not gid.isdigit():
            raise AsanaError(400, errors.NOT_A_RECOGNIZED_ID.format(name=kind, value=gid))
        record = table.get(gid)
        if record is None:
            raise AsanaError(404, errors.UNKNOWN_OBJECT.format(name=kind, gid=gid))
        return record

    def workspace(self, gid: str):
        workspace = self.lookup(self.store.workspaces, gid, "workspace")
        if not self.store.can_see_workspace(self.user, gid):
            raise AsanaError(403, errors.FORBIDDEN)
        return workspace

    def project(self, gid: str):
        project = self.lookup(self.store.projects, gid, "project")
        if not self.store.can_see_project(self.user, project):
            raise AsanaError(403, errors.FORBIDDEN)
        return project

    def task(self, gid: str):
        task = self.lookup(self.store.tasks, gid, "task")
        if not self.store.can_see_task(self.user, task):
            raise AsanaError(403, errors.FORBIDDEN)
        return task

    # -- output ----------------------------------------------------------------------------
    def _json(self, payload: Any, status: int) -> Response:
        response = Response.json(payload, status=status)
        if self.request.arg("opt_pretty") in ("", "true", "1"):
            response.body = json.dumps(payload, indent=2).encode()
        return response

    def one(self, record: dict, status: int = 200) -> Response:
        return self._json({"data": render(record, self.fields, compact=False)}, status)

    def many(
        self,
        items: list[Any],
        build: Callable[[Any], dict],
        *,
        default_limit: int | None = None,
        compact_keys: tuple[str, ...] = COMPACT_KEYS,
    ) -> Response:
        """A list of compact records (or opt_fields), paginated when `limit` is given."""
        page, next_page, paginated = self.app.paginator.page(
            self.request, items, base_url=self.app.base_url, default_limit=default_limit
        )
        fields = self.fields
        data = [
            render(build(item), fields, compact=True, compact_keys=compact_keys) for item in page
        ]
        return self._json(list_body(data, next_page, paginated), 200)

    def listing(self, records: list[dict]) -> Response:
        """A list that Asana never paginates (typeahead, search)."""
        fields = self.fields
        return self._json({"data": [render(r, fields, compact=True) for r in records]}, 200)

    def empty(self) -> Response:
        return self._json({"data": {}}, 200)
