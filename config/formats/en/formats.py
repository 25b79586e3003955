"""Conduit's one date format for Django's own rendering (the console's lists and fields).

The same as cards/templatetags/conduit_time.py's WHEN_FORMAT and static/conduit/when.js:
"1 Dec 2026, 10:48 UTC+0100", in the active (the viewer's) time zone.
"""

DATETIME_FORMAT = r"j M Y, H:i \U\T\CO"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
