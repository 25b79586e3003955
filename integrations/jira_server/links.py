"""Jira Server URLs: the normalised base URL a team registers, and `{base_url}/browse/{KEY}`.

A base URL keeps Jira's context path (`https://example.com/jira`), loses a trailing slash, a
default port, and whatever page of Jira was pasted after it (`/secure/Dashboard.jspa`,
`/browse/TEST-1`, `/rest/...`). Issue keys follow Jira's project key rule: a letter, then
letters, digits or underscores, a dash and the issue number
(https://confluence.atlassian.com/adminjiraserver/changing-the-project-key-format-938847081.html).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

BASE_URL_NOT_A_URL = "Enter the full address of Jira, for example https://jira.example.com."
BASE_URL_SCHEME = "The address must start with https:// (or http:// for a local test server)."
BASE_URL_CREDENTIALS = "The address must not contain a user name or password."

ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[1-9][0-9]*$")
PAGE_MARKERS = ("/browse/", "/secure/", "/rest/", "/plugins/", "/projects/", "/issues/")
DEFAULT_PORTS = {"http": 80, "https": 443}


class BaseUrlInvalid(ValueError):
    """The text is not a Jira base URL; the message says what to type instead."""


def normalize_base_url(text: str) -> str:
    """`https://jira.example.com[:port][/context]`, from whatever an admin pasted."""
    text = (text or "").strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not parts.netloc or not parts.hostname:
        raise BaseUrlInvalid(BASE_URL_NOT_A_URL)
    if scheme not in DEFAULT_PORTS:
        raise BaseUrlInvalid(BASE_URL_SCHEME)
    if parts.username or parts.password:
        raise BaseUrlInvalid(BASE_URL_CREDENTIALS)
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        raise BaseUrlInvalid(BASE_URL_NOT_A_URL) from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path
    for marker in PAGE_MARKERS:
        if marker in path + "/":
            path = (path + "/").split(marker, 1)[0]
    return urlunsplit((scheme, netloc, path.rstrip("/"), "", ""))


def issue_url(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/browse/{key}"


def parse_browse_url(url: str) -> tuple[str, str] | None:
    """(normalised base URL, issue key) of `{base_url}/browse/{KEY}`, or None."""
    parts = urlsplit((url or "").strip())
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    head, marker, tail = parts.path.rpartition("/browse/")
    if not marker:
        return None
    key = tail.strip("/")
    if not ISSUE_KEY.match(key):
        return None
    try:
        base_url = normalize_base_url(urlunsplit((parts.scheme, parts.netloc, head, "", "")))
    except BaseUrlInvalid:
        return None
    return base_url, key.upper()


def project_key_of(issue_key: str) -> str:
    return issue_key.rsplit("-", 1)[0]
