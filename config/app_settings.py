"""One settings object per app, with defaults (the way django-oauth-toolkit's `oauth2_settings`
reads its options): `token_settings.TOKEN_RETENTION_DAYS` is `settings.TOKEN_RETENTION_DAYS`
when set there (config/settings.py reads the environment) and the app's default otherwise.

Nothing is cached, so `override_settings` in tests takes effect at once; an option the app does
not declare is an AttributeError, so a typo never reads None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings


class AppSettings:
    """Attribute access to `defaults`' options, read from django.conf.settings first."""

    def __init__(self, app: str, defaults: Mapping[str, Any]) -> None:
        self.app = app
        self.defaults = dict(defaults)

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not attributes of the object itself.
        defaults = self.__dict__.get("defaults", {})
        if name not in defaults:
            raise AttributeError(f"Invalid {self.__dict__.get('app', '')} setting: {name}")
        return getattr(settings, name, defaults[name])

    def __repr__(self) -> str:  # names only: values can be secrets (client secrets, keys)
        return f"AppSettings({self.app!r}, {sorted(self.defaults)!r})"
