"""Sentry, initialised only when SENTRY_DSN is set, and never sent a secret."""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

from config.logging import REDACTED, redact

EXTRA_DENYLIST = [
    "access_token",
    "refresh_token",
    "client_secret",
    "oauth_token",
    "oauth_token_secret",
    "code",
    "state",
    "authorization",
]
DENYLIST = sorted(set(DEFAULT_DENYLIST) | set(EXTRA_DENYLIST))
# A bare opaque token in an exception message has no name to match: long runs of token
# characters mixing letters and digits are blanked (ids and hashes lose detail, never a secret).
OPAQUE_TOKEN = re.compile(r"(?<![\w/.:-])(?=[\w.~+/=:-]*\d)(?=[\w.~+/=:-]*[A-Za-z])[\w.~+/=:-]{24,}")


def scrub_message(text: str) -> str:
    return OPAQUE_TOKEN.sub(REDACTED, redact(text))


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Scrub what the EventScrubber does not look at: query strings and exception messages."""
    request = event.get("request") or {}
    if request.get("query_string"):
        request["query_string"] = REDACTED
    if isinstance(request.get("url"), str) and "?" in request["url"]:
        request["url"] = request["url"].split("?", 1)[0]
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_message(exception["value"])
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = scrub_message(logentry[key])
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values") or []:
        if isinstance(breadcrumb.get("message"), str):
            breadcrumb["message"] = redact(breadcrumb["message"])
        data = breadcrumb.get("data") or {}
        for key in ("url", "http.query"):
            if isinstance(data.get(key), str):
                data[key] = redact(data[key].split("?", 1)[0]) if key == "url" else REDACTED
    return event


def sentry_options(dsn: str, environment: str) -> dict[str, Any]:
    return {
        "dsn": dsn,
        "environment": environment,
        "send_default_pii": False,
        # Frame locals are matched by name only; a token in an oddly named variable would
        # slip through, so stack frames carry no local variables at all.
        "include_local_variables": False,
        "max_request_body_size": "never",
        "event_scrubber": EventScrubber(
            denylist=DENYLIST, pii_denylist=DEFAULT_PII_DENYLIST, recursive=True
        ),
        "before_send": before_send,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        "traces_sample_rate": 0.0,
    }


def init_sentry(dsn: str, environment: str) -> None:
    sentry_sdk.init(**sentry_options(dsn, environment))
