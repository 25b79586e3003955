"""Asana task links: which task (and project, when the link says it) a pasted URL points at.

Forms accepted, on the host of ASANA_APP_URL (https://app.asana.com; the sandbox's own host):
- `/0/{project}/{task}` and `/0/{project}/{task}/f` (the classic form; project `0` means none),
  the `permalink_url` of https://developers.asana.com/reference/gettask until 2025;
- `/1/{workspace}/project/{project}/task/{task}` and `/1/{workspace}/task/{task}`, the forms
  Asana's app has used since 2025 (as reported when integrations broke on them:
  https://gitlab.com/gitlab-org/gitlab/-/issues/523692 and /588954).
Query strings and fragments (`?focus=true`) are ignored. Anything else is not an Asana task link.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from integrations.asana.conf import asana_settings
from integrations.providers import LinkRef

PROVIDER_KEY = "asana"
_GID = r"\d{1,32}"
_CLASSIC = re.compile(rf"^/0/(?P<project>{_GID})/(?P<task>{_GID})(?:/f)?/?$")
_V1_PROJECT = re.compile(
    rf"^/1/(?P<workspace>{_GID})/project/(?P<project>{_GID})/task/(?P<task>{_GID})(?:/f)?/?$"
)
_V1_TASK = re.compile(rf"^/1/(?P<workspace>{_GID})/task/(?P<task>{_GID})(?:/f)?/?$")


def app_origin() -> tuple[str, str]:
    """(scheme, host[:port]) of ASANA_APP_URL, lower case."""
    parts = urlsplit(str(asana_settings.ASANA_APP_URL))
    return parts.scheme.lower(), parts.netloc.lower()


def parse_link(url: str) -> LinkRef | None:
    """The task a pasted link points at, or None when it is not an Asana task link."""
    try:
        parts = urlsplit(str(url).strip())
    except ValueError:
        return None
    scheme, netloc = app_origin()
    if parts.scheme.lower() != scheme or parts.netloc.lower() != netloc:
        return None
    for pattern in (_CLASSIC, _V1_PROJECT, _V1_TASK):
        match = pattern.match(parts.path)
        if match is None:
            continue
        task = match["task"]
        if int(task) == 0:
            return None
        project = match.groupdict().get("project") or ""
        container = "" if not project or int(project) == 0 else project
        return LinkRef(
            provider=PROVIDER_KEY, external_id=task, url=url.strip(), container_id=container
        )
    return None
