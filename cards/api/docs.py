"""The API's schema (OpenAPI 3, drf-spectacular) and a browsable docs page.

The docs page is rendered on the server from the same schema, with no script at all: Swagger UI
and Redoc need their JavaScript bundles served from this origin under the strict CSP, and no
installed package ships them (drf-spectacular-sidecar would).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView

from cards.api.base import ConduitApiMixin

METHODS = ("get", "post", "put", "patch", "delete")


class SchemaApi(ConduitApiMixin, SpectacularAPIView):
    """GET /api/v1/schema/: the OpenAPI document (YAML; `?format=json` for JSON)."""


def _reference_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_reference_name(schema.get('items'))}"
    return schema.get("type", "object")


def _body_name(content: dict[str, Any] | None) -> str:
    media = (content or {}).get("application/json") or next(iter((content or {}).values()), {})
    return _reference_name(media.get("schema"))


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            rows.append({
                "method": method.upper(),
                "path": path,
                "summary": (operation.get("description") or "").strip(),
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                     "description": p.get("description", "")}
                    for p in operation.get("parameters", [])
                ],
                "request": _body_name((operation.get("requestBody") or {}).get("content")),
                "responses": [
                    {"status": code, "body": _body_name(answer.get("content")),
                     "description": answer.get("description", "")}
                    for code, answer in operation.get("responses", {}).items()
                    if code.startswith("2")
                ],
                "security": sorted({name for entry in operation.get("security", [])
                                    for name in entry}),
            })
    return rows


def components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        fields = [
            {"name": field, "type": spec.get("type") or _reference_name(spec) or "object",
             "format": spec.get("format", ""), "read_only": spec.get("readOnly", False),
             "description": spec.get("description", "")}
            for field, spec in component.get("properties", {}).items()
        ]
        rows.append({"name": name, "fields": fields, "enum": component.get("enum", [])})
    return rows


@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {
        "info": schema.get("info", {}),
        "operations": operations(schema),
        "components": components(schema),
    }
    return render(request, "cards/api_docs.html", context)
