"""Blanks token-like values wherever a log message might carry one, and formats log lines
(plain, or one JSON object per line for web, worker and beat).

Two layers, because a filter on Conduit's handler only protects that handler: an operator's own
handler, pytest's caplog or a log shipper attached to the root logger would still see the raw
record. `configure` (Django's LOGGING_CONFIG) therefore also installs a record factory whose
records redact in `getMessage`, so every handler in the process formats a redacted message,
whatever level an operator raises oauthlib and requests-oauthlib to.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "client_secret",
    "oauth_token_secret",
    "oauth_token",
    "oauth_verifier",
    "oauth_signature",
    "code_verifier",
    "code",
    "state",
    "authorization",
    "password",
    # oauthlib's Client repr ("using client <Client ... resource_owner_key=..., verifier=...>")
    "resource_owner_key",
    "resource_owner_secret",
    "verifier",
    "rsa_key",
    "token_secret",
)
_NAMES = "|".join(SECRET_NAMES)
# name=value, "name": "value" and `Authorization: Bearer xyz` shapes.
SECRET_PATTERN = re.compile(
    r"(?i)(\b(?:" + _NAMES + r")\b[\"']?\s*[:=]\s*[\"']?)"
    r"((?:bearer|oauth|basic)\s+)?[^\s\"'&,;}]+"
)
# ('name', 'value'): oauthlib's "Collected params: [...]" list of tuples.
TUPLE_PATTERN = re.compile(r"(?i)([\"'](?:" + _NAMES + r")[\"']\s*,\s*)([\"'])(?:(?!\2).)*\2")
# name%3Dvalue (and double-encoded name%253Dvalue): the signature base string, encoded URLs.
# Not \b: in "%26oauth_token" the name follows a digit.
ENCODED_PATTERN = re.compile(
    r"(?i)((?<![a-z_])(?:" + _NAMES + r")(?:%3D|%253D))(?:(?!%26|%2526)[^\s&\"',;}])+"
)
REDACTED = "[redacted]"
# Jira Server signs no webhook: its secret rides in the path after the subscription id,
# /webhooks/<provider>/<id>.<secret> (and the deprecated /webhooks/jira/<id>.<secret>).
WEBHOOK_PATH_SECRET = re.compile(r"(/webhooks/[^/\s]+/[^/.\s]+)\.[^/\s\"']+")


def redact(text: str) -> str:
    """`text` with every recognised secret value replaced by REDACTED; names stay readable."""
    text = WEBHOOK_PATH_SECRET.sub(rf"\1.{REDACTED}", text)
    text = TUPLE_PATTERN.sub(lambda match: f"{match[1]}{match[2]}{REDACTED}{match[2]}", text)
    text = ENCODED_PATTERN.sub(lambda match: f"{match[1]}{REDACTED}", text)
    return SECRET_PATTERN.sub(lambda match: f"{match.group(1)}{match.group(2) or ''}{REDACTED}",
                              text)


def _redact_record(record: logging.LogRecord) -> None:
    """Replaces the record's msg and args by the redacted message when it holds a secret, so
    handlers that read `args` (Sentry, caplog.records) see no raw value either."""
    try:
        message = logging.LogRecord.getMessage(record)
    except Exception:  # noqa: BLE001 - a broken format string must not stop logging
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message in place, for handlers configured with it."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


class RedactingLogRecord(logging.LogRecord):
    """A record redacted when it is made (msg and args), and whose formatted message is
    redacted again in case something changed `msg` afterwards: safe for every handler."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _redact_record(self)

    def getMessage(self) -> str:  # noqa: N802 - logging's own name
        return redact(super().getMessage())


def install_record_factory() -> None:
    """Makes every record created from now on a RedactingLogRecord. Idempotent."""
    if logging.getLogRecordFactory() is not RedactingLogRecord:
        logging.setLogRecordFactory(RedactingLogRecord)


def configure(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG: the dictConfig of settings.LOGGING plus the record factory."""
    install_record_factory()
    if config:
        logging.config.dictConfig(config)


# -- JSON lines ------------------------------------------------------------------------------

# Record attributes that go into no JSON line: `request` is Django's HttpRequest (its repr holds
# the query string, and it is no JSON), the rest are logging's own bookkeeping.
DROPPED_FIELDS = ("request", "taskName", "color_message")


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, process and
    any `extra` fields.

    Redaction holds on this path too: the message is redacted by the record factory, and every
    string value (the extras, the formatted traceback, a stack) is redacted before it is
    serialised, so a secret can only reach the output through a value that is not a string.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        fmt = kwargs.pop("fmt", None) or "%(levelname)s %(name)s %(message)s %(process)d"
        super().__init__(fmt, *args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for name in DROPPED_FIELDS:
            log_data.pop(name, None)
        return {key: _redact_value(value) for key, value in log_data.items()}


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    return value


class WarningWithoutTraceback(logging.Filter):
    """Turns an ERROR with a traceback into one WARNING line, for expected refusals: a request
    with a Host header outside ALLOWED_HOSTS is somebody else's mistake, not Conduit's."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def logging_config(*, log_format: str = "plain", level: str = "INFO") -> dict[str, Any]:
    """settings.LOGGING: one console handler (plain or JSON lines) with the redaction,
    request-id and task filters; quiet defaults for the chatty libraries."""
    formatter = "json" if log_format == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "config.logging.RedactSecretsFilter"},
            "request_id": {"()": "config.observability.request_id.RequestIdFilter"},
            "task": {"()": "config.observability.tasks.TaskContextFilter"},
            "warning_without_traceback": {"()": "config.logging.WarningWithoutTraceback"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "config.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter,
                        "filters": ["redact", "request_id", "task"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # oauthlib and requests-oauthlib log tokens at DEBUG (redacted anyway).
            "oauthlib": {"level": "WARNING", "propagate": True},
            "requests_oauthlib": {"level": "WARNING", "propagate": True},
            "urllib3": {"level": "WARNING", "propagate": True},
            # redis-py writes a DEBUG line on each new connection to a server without
            # maintenance notifications (every Redis before 8.2): connection noise, not Conduit's.
            "redis": {"level": "WARNING", "propagate": True},
            # One line per login is the audit event; axes' own lines stay for lockouts.
            "axes": {"level": "WARNING", "propagate": True},
            "django.security.DisallowedHost": {
                "level": "WARNING", "propagate": True, "filters": ["warning_without_traceback"],
            },
        },
    }
