"""The integrations app's own options (the egress guard's), as one settings object.

Code reads `integration_settings.NAME` (config.app_settings). Each provider package declares
its own options in its manifest (integrations/asana/conf.py, integrations/jira_server/conf.py).
"""

from __future__ import annotations

from typing import Any

from config.app_settings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Egress guard (integrations/egress/).
    "EGRESS_ALLOWED_HOSTS": [],  # extra hosts; "*.example.com" allows subdomains only
    "EGRESS_ALLOW_LOOPBACK": False,  # sandbox and tests only: plain http to 127.0.0.1 / ::1
    "EGRESS_CONNECT_TIMEOUT": 5.0,  # seconds, when a caller gives none
    "EGRESS_READ_TIMEOUT": 20.0,  # seconds between two reads, when a caller gives none
    "EGRESS_MAX_TIMEOUT": 60.0,  # ceiling on any timeout a caller gives
    "EGRESS_MAX_REDIRECTS": 5,
    "EGRESS_CA_BUNDLE": "",  # CA bundle (PEM path) to verify providers with; "" means certifi's
    "EGRESS_POOL_HOSTS": 16,  # hosts with kept-alive connections per process
    "EGRESS_POOL_SIZE": 8,  # idle connections kept per host
}


integration_settings = AppSettings("integrations", DEFAULTS)
