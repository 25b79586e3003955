"""The Asana provider's options, with defaults, as one settings object (config.app_settings).

The hosts of the API and OAuth URLs are the egress guard's Asana hosts (the manifest's
`egress_hosts`); the app URL is the host of pasted task links, parsed and never fetched.
"""

from __future__ import annotations

from typing import Any

from config.app_settings import AppSettings

DEFAULTS: dict[str, Any] = {
    "ASANA_API_URL": "https://app.asana.com/api/1.0",
    "ASANA_APP_URL": "https://app.asana.com",
    "ASANA_OAUTH_URL": "https://app.asana.com/-/",
    "ASANA_CLIENT_ID": "",
    "ASANA_CLIENT_SECRET": "",
}

asana_settings = AppSettings("Asana", DEFAULTS)
