"""Blanks token-like values wherever a log message might carry one.

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
# Jira Server signs no webhook: its secret rides in the path, /webhooks/jira/<id>.<secret>.
WEBHOOK_PATH_SECRET = re.compile(r"(/webhooks/jira/[^/.\s]+)\.[^/\s\"']+")


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
