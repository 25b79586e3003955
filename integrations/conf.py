"""The integrations app's options, with their defaults, as one settings object.

Shaped like django-oauth-toolkit's `oauth2_settings`: code reads `integration_settings.NAME`,
the value comes from `django.conf.settings` when set there (config/settings.py reads the
environment) and from `DEFAULTS` otherwise. Nothing is cached, so `override_settings` in tests
takes effect at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Providers: the hosts of these URLs are the egress guard's provider hosts.
    "ASANA_API_URL": "https://app.asana.com/api/1.0",
    "ASANA_APP_URL": "https://app.asana.com",  # host of task links: parsed, never fetched
    "ASANA_OAUTH_URL": "https://app.asana.com/-/",
    "ASANA_CLIENT_ID": "",
    "ASANA_CLIENT_SECRET": "",
    # Egress guard (integrations/egress/).
    "EGRESS_ALLOWED_HOSTS": [],  # extra hosts; "*.example.com" allows subdomains only
    "EGRESS_ALLOW_LOOPBACK": False,  # sandbox and tests only: plain http to 127.0.0.1 / ::1
    "EGRESS_CONNECT_TIMEOUT": 5.0,  # seconds, when a caller gives none
    "EGRESS_READ_TIMEOUT": 20.0,  # seconds between two reads, when a caller gives none
    "EGRESS_MAX_TIMEOUT": 60.0,  # ceiling on any timeout a caller gives
    "EGRESS_MAX_REDIRECTS": 5,
}


class IntegrationSettings:
    """Attribute access to the options in `DEFAULTS`; an unknown name is an AttributeError."""

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        self.defaults = defaults or DEFAULTS

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Invalid integrations setting: {name}")
        return getattr(settings, name, self.defaults[name])


integration_settings = IntegrationSettings()
