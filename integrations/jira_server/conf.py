"""The Jira Server connector's options, with defaults (read like django-oauth-toolkit's settings).

`CONDUIT_PUBLIC_URL` is the address Jira and users' browsers reach Conduit at (the Application
URL, the Consumer Callback URL and the webhook URL derive from it); empty means "the address of
the console request". The names shown in Jira's Application Links screen are settings too.
"""

from __future__ import annotations

from typing import Any

from config.app_settings import AppSettings

DEFAULTS: dict[str, Any] = {
    "CONDUIT_PUBLIC_URL": "",
    "JIRA_APPLICATION_NAME": "Conduit",
    "JIRA_CONSUMER_NAME": "Conduit",
}


jira_server_settings = AppSettings("Jira Server", DEFAULTS)
