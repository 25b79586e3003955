"""What the egress guard records of each outbound call: one log line and the provider-call
metrics, labelled by provider, method, endpoint (a route template, never the raw path with its
ids) and status.

Nothing here reads a header, a query string or a body: the line names the origin, the route
template, the status and the duration, and carries the request id (config's logging filter).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

logger = logging.getLogger("integrations.egress.calls")

PROVIDER_CALL = "provider call %s %s %s -> %s in %.0f ms"
# Route templates of the provider clients' endpoints ("/tasks/{task_gid}"); BaseClient
# subclasses register their path constants here when they are defined.
_templates: set[str] = set()
_ID_LIKE = re.compile(r"^(?:\d{3,}|[0-9a-f-]{20,}|[A-Z][A-Z0-9_]+-\d+|[A-Za-z0-9_-]{24,})$")


def endpoint_templates_register(templates: set[str] | list[str] | tuple[str, ...]) -> None:
    _templates.update(template for template in templates if template.startswith("/"))
    _compiled.cache_clear()


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in _templates:
        parts = re.split(r"(\{[^}]+\})", template)
        body = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
        patterns.append((re.compile(body + "$"), template))
    # The longest template first: ".../tasks/search" before "/tasks/{task_gid}".
    return sorted(patterns, key=lambda pattern: -len(pattern[1]))


def endpoint_of(path: str) -> str:
    """The route template `path` ends with, or `path` with id-like segments as `{id}`."""
    for pattern, template in _compiled():
        if pattern.search(path):
            return template
    return "/".join("{id}" if _ID_LIKE.match(segment) else segment
                    for segment in path.split("/"))


def provider_of(url: str, default: str) -> str:
    """`default` (the session's provider), else "asana" for Asana's configured origins."""
    if default:
        return default
    from django.conf import settings

    origin = _origin(url)
    # Asana's URLs as the settings give them (scheme, host and port: the sandboxes share a host).
    asana = {_origin(str(getattr(settings, name, "") or ""))
             for name in ("ASANA_API_URL", "ASANA_OAUTH_URL")}
    return "asana" if origin in asana else "other"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def call_record(*, url: str, method: str, provider: str, status: str, seconds: float) -> None:
    """The log line and the metrics of one call (`status`: the HTTP status, or the name of
    the failure: timeout, connection_error, refused)."""
    try:
        _call_record(url=url, method=method, provider=provider, status=status, seconds=seconds)
    except Exception:  # noqa: BLE001 - recording must never break or mask the call itself
        logger.debug("provider call not recorded", exc_info=False)


def _call_record(*, url: str, method: str, provider: str, status: str, seconds: float) -> None:
    from config.observability.metrics import provider_call_duration, provider_calls

    parts = urlsplit(url)
    provider = provider_of(url, provider)
    # No path for a refused call or an unknown host: such paths are chosen by whoever supplied
    # the URL (and can carry a token), and would make the labels unbounded.
    known = provider != "other" and status != "refused"
    labels = {"provider": provider, "method": method,
              "endpoint": endpoint_of(parts.path) if known else "-", "status": status}
    provider_calls.labels(**labels).inc()
    provider_call_duration.labels(**labels).observe(seconds)
    level = logging.WARNING if not status.isdigit() or int(status) >= 500 else logging.INFO
    if not logger.isEnabledFor(level):
        return  # production runs at WARNING: a successful call's line is not built at all
    origin = f"{parts.scheme}://{parts.netloc}"
    target = origin + labels["endpoint"] if known else origin
    logger.log(level, PROVIDER_CALL, labels["provider"], method, target,
               status, seconds * 1000, extra={**{f"provider_{key}": value
                                                  for key, value in labels.items()},
                                               "duration_ms": round(seconds * 1000, 1)})
