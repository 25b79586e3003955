"""Asana's own OpenAPI description, loaded once per test process, as a response validator.

The file lives beside the repository (`../shared/reference/asana_oas.yaml`); without it the
conformance tests skip, except under CI=true, where they fail. Three narrow adjustments make Asana's document usable by openapi-core;
each is explained where it is made.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import ImmutableMultiDict

from tests.conftest import skip_or_fail_in_ci

REPO_ROOT = Path(__file__).resolve().parents[3]
SPEC_PATH = REPO_ROOT.parent / "shared" / "reference" / "asana_oas.yaml"
ASANA_HOST = "https://app.asana.com"  # the OAS `servers` URL is https://app.asana.com/api/1.0


def _string_keys(node: Any) -> Any:
    """YAML reads unquoted response codes (`200:`) as integers; OpenAPI keys are strings."""
    if isinstance(node, dict):
        return {str(key): _string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_string_keys(item) for item in node]
    return node


def _nullable_all_of(node: Any) -> Any:
    """Asana writes "X or null" as `allOf: [{$ref: X}, {nullable: true}]` (TaskResponse.assignee,
    completed_by, enum_value...) and answers null there; openapi-schema-validator applies the
    referenced schema to null and fails ("None for not nullable": python-openapi/
    openapi-schema-validator#20 and #220, openapi-core#277). Same meaning, spelled so the
    validator honours it: `anyOf: [{allOf: [X, ...]}, {nullable: true, enum: [null]}]`."""
    if isinstance(node, list):
        return [_nullable_all_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_all_of(value) for key, value in node.items()}
    members = node.get("allOf")
    if isinstance(members, list) and any(
        isinstance(member, dict) and member.get("nullable") for member in members
    ):
        strict = [
            {key: value for key, value in member.items() if key != "nullable"} for member in members
        ]
        node = {key: value for key, value in node.items() if key != "allOf"}
        node["anyOf"] = [{"allOf": strict}, {"nullable": True, "enum": [None]}]
    return node


def _webhook_timestamps_nullable(spec: dict) -> None:
    """Asana answers `last_success_at`/`last_failure_at`/`last_failure_content` = null for a new
    webhook (the createWebhook example in its own reference), but WebhookResponse types them as
    non-nullable strings: mark only these three nullable."""
    schema = spec["components"]["schemas"]["WebhookResponse"]["allOf"][1]["properties"]
    for name in ("last_success_at", "last_failure_at", "last_failure_content"):
        schema[name]["nullable"] = True


@functools.lru_cache(maxsize=1)
def _load() -> tuple[OpenAPI, dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec = _string_keys(yaml.load(handle, Loader=loader))  # noqa: S506 - a safe loader
    spec = _nullable_all_of(spec)
    _webhook_timestamps_nullable(spec)
    return OpenAPI.from_dict(spec), spec


def asana_openapi() -> tuple[OpenAPI, dict]:
    if not SPEC_PATH.exists():
        # A clone without ../shared skips with this reason; CI=true fails instead.
        skip_or_fail_in_ci(f"Asana's OpenAPI description is not at {SPEC_PATH} "
                           "(it comes with ../shared beside the repository)")
    return _load()


@dataclass
class _SpecRequest:
    """The request as the spec sees it: Asana's host, the /api/1.0 path, the query."""

    path: str
    method: str
    query: list[tuple[str, str]]
    host_url: str = ASANA_HOST
    content_type: str = "application/json"
    body: bytes | None = None
    parameters: RequestParameters = field(default_factory=RequestParameters)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(query=ImmutableMultiDict(self.query))


def validate_asana_response(response: requests.Response, *, as_path: str | None = None) -> None:
    """Raise if the sandbox's response does not match the spec's operation for its request.

    `as_path` names the spec path to use when the sandbox answers an older alias of it.
    """
    openapi, _ = asana_openapi()
    url = urlsplit(as_path or response.request.url)
    request = _SpecRequest(
        path=url.path,
        method=response.request.method.lower(),
        query=parse_qsl(url.query, keep_blank_values=True),
    )
    openapi.validate_response(request, RequestsOpenAPIResponse(response))


def validate_asana_error_body(body: Any) -> None:
    """For statuses an operation does not list (429): the body against ErrorResponse."""
    _, spec = asana_openapi()
    schema = {"$ref": "#/components/schemas/ErrorResponse", "components": spec["components"]}
    OAS30Validator(schema).validate(body)
