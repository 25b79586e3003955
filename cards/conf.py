"""The cards app's options, with their defaults, as one settings object (like `oauth2_settings`).

Code reads `cards_settings.NAME`; the value comes from `django.conf.settings` when set there and
from `DEFAULTS` otherwise. Nothing is cached, so `override_settings` takes effect at once.
"""

from __future__ import annotations

from typing import Any

from config.app_settings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Public base URL of this Conduit (https://conduit.example.com) that providers POST webhooks
    # to; empty means "the host of the request that subscribed".
    "CONDUIT_PUBLIC_URL": "",
    # Import: tickets per listing page, most tickets per request, and how many may be fetched one
    # by one when the caller gives no container to list. The most per request is what
    # CARDS_IMPORT_MAX_PAGES pages hold, so any import the request allows is read in one pass of
    # ceil(n / page size) list calls, never split across requests that re-read the same pages.
    "CARDS_IMPORT_PAGE_SIZE": 100,
    "CARDS_IMPORT_MAX": 5000,
    "CARDS_IMPORT_MAX_WITHOUT_CONTAINER": 20,
    "CARDS_IMPORT_MAX_PAGES": 50,
    # Cards list of the API (GET /api/v1/boards/<id>/cards/): cards per page without
    # `page_size`, and the most one page may hold.
    "CARDS_LIST_PAGE_SIZE": 100,
    "CARDS_LIST_MAX_PAGE_SIZE": 500,
    # Picker page size.
    "CARDS_PICKER_PAGE_SIZE": 50,
    # How long after its creation a subscription accepts the provider's handshake.
    "CARDS_WEBHOOK_HANDSHAKE_SECONDS": 120,
}


cards_settings = AppSettings("cards", DEFAULTS)
