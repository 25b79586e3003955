"""A person's own settings (today: the time zone dates are shown in).

The chosen zone is kept in PersonalSettings and mirrored into the session, so showing a page
costs no query: config.middleware.TimeZoneMiddleware reads the session, else the browser's
zone (the `conduit_tz` cookie static/conduit/when.js sets), else UTC.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase

from approvals.models import PersonalSettings
from config.errors import ApplicationError

SESSION_TIME_ZONE = "conduit_time_zone"  # "" means the browser's; absent means not read yet
TIME_ZONE_UNKNOWN = "“{zone}” is not a time zone Conduit knows: choose one from the list."
BROWSER_ZONE = ""


class TimeZoneUnknown(ApplicationError):
    code = "time_zone_unknown"
    http_status = 400


def known_time_zones() -> list[str]:
    """Every IANA zone name this machine knows, sorted (the settings page's choices)."""
    return sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def time_zone_of(*, user: AbstractBaseUser, session: SessionBase) -> str:
    """The user's chosen zone ("" for the browser's), read once per session."""
    if SESSION_TIME_ZONE not in session:
        chosen = (
            PersonalSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
        )
        session[SESSION_TIME_ZONE] = chosen or BROWSER_ZONE
    return session[SESSION_TIME_ZONE]


def personal_settings_save(
    *, user: AbstractBaseUser, time_zone: str, session: SessionBase | None = None
) -> PersonalSettings:
    """Keep the user's zone ("" = the browser's); idempotent. Not an audit event: it governs
    nothing and only changes how this person reads dates."""
    zone = (time_zone or "").strip()
    if zone and zone not in available_timezones():
        raise TimeZoneUnknown(TIME_ZONE_UNKNOWN.format(zone=zone[:64]))
    personal, _ = PersonalSettings.objects.update_or_create(user=user,
                                                            defaults={"time_zone": zone})
    if session is not None:
        session[SESSION_TIME_ZONE] = zone
    return personal
