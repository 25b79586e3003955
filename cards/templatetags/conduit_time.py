"""`{% load conduit_time %}`: `{{ value|when }}`, Conduit's one date format.

"1 Dec 2026, 10:48 UTC+0100": day, month, year, 24-hour time and the offset of the viewer's
time zone (the active one: the user's setting, else the browser's, see config.middleware).
static/conduit/when.js writes the same text in the browser; the console's DATETIME_FORMAT
(config/formats/en/formats.py) is the same format, so Django's admin lists agree too.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

WHEN_FORMAT = r"j M Y, H:i \U\T\CO"
NEVER = "—"

register = template.Library()


def when_text(value: datetime | None) -> str:
    """The value in the active time zone, in Conduit's format; "—" for no value."""
    if not value:
        return NEVER
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, WHEN_FORMAT)


@register.filter
def when(value: datetime | None) -> str:
    """`<time datetime="ISO 8601" data-when>` around when_text(): when.js rewrites it in the
    browser's zone when the server did not know it yet (the first page, before its cookie)."""
    if not value:
        return NEVER
    return format_html('<time datetime="{}" data-when>{}</time>', value.isoformat(),
                       when_text(value))
