"""A logging filter that blanks token-like values wherever a message might carry one."""

import logging
import re

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
)
# name=value, "name": "value" and `Authorization: Bearer xyz` shapes.
SECRET_PATTERN = re.compile(
    r"(?i)(\b(?:" + "|".join(SECRET_NAMES) + r")\b[\"']?\s*[:=]\s*[\"']?)"
    r"((?:bearer|oauth|basic)\s+)?[^\s\"'&,;}]+"
)
REDACTED = "[redacted]"
# Jira Server signs no webhook: its secret rides in the path, /webhooks/jira/<id>.<secret>.
WEBHOOK_PATH_SECRET = re.compile(r"(/webhooks/jira/[^/.\s]+)\.[^/\s\"']+")


def redact(text: str) -> str:
    text = WEBHOOK_PATH_SECRET.sub(rf"\1.{REDACTED}", text)
    return SECRET_PATTERN.sub(lambda match: f"{match.group(1)}{match.group(2) or ''}{REDACTED}",
                              text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
