"""The cards list of a board, a page at a time: `{"cards": [...], "next": cursor or null}`.

Rows come from one `values_list` query and become JSON objects here, field by field, with what
CardOutputSerializer would give for the same card (its date-times in the active zone, `Z` for
UTC): a ModelSerializer per row cost more than the query and the rendering together. When the
active zone is UTC, PostgreSQL writes the date-times as that text itself (selectors.UtcIsoText). The cursor
is opaque to clients: base64url of the last card's position, read back strictly (a bad one is a
400, never a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from cards.api.serializers import CardOutputSerializer
from cards.conf import DEFAULTS, cards_settings
from cards.selectors import CARD_LIST_COLUMNS, CardPage, CardPosition, dates_as_text_supported

CURSOR_INVALID = "This is not a cursor this list gave: start again without one."
PAGE_SIZE_TOO_LARGE = "A page holds at most {most} cards."
CURSOR_MAX_LENGTH = 200
_MAX_ID = 2**63 - 1

(_ID, _BOARD, _PROVIDER, _EXTERNAL_ID, _URL, _TITLE, _DESCRIPTION, _ASSIGNEE_NAME,
 _ASSIGNEE_EMAIL, _STATUS, _PRIORITY, _SYNCED_AT, _SYNC_ERROR, _CREATED_AT) = range(
    len(CARD_LIST_COLUMNS))


def cursor_encode(position: CardPosition) -> str:
    text = json.dumps([position.created_at.isoformat(), position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> CardPosition:
    """The position `cursor_encode` wrote, or ValueError for anything else."""
    if not cursor.isascii() or len(cursor) > CURSOR_MAX_LENGTH:
        raise ValueError(cursor)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, card_id = json.loads(raw)
        when = datetime.fromisoformat(created_at)
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError) as error:
        raise ValueError(cursor) from error
    if when.tzinfo is None or type(card_id) is not int or not 0 < card_id <= _MAX_ID:
        raise ValueError(cursor)
    return CardPosition(created_at=when, id=card_id)


class CardListQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, allow_blank=True, max_length=CURSOR_MAX_LENGTH, trim_whitespace=False,
        help_text="The `next` of the previous page; without it (or empty), the first page.",
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1,
        help_text=f"Cards per page: {DEFAULTS['CARDS_LIST_PAGE_SIZE']} unless given, at most "
                  f"{DEFAULTS['CARDS_LIST_MAX_PAGE_SIZE']}.",
    )

    def validate_cursor(self, value: str) -> CardPosition | None:
        if value == "":
            return None
        try:
            return cursor_decode(value)
        except ValueError:
            raise serializers.ValidationError(CURSOR_INVALID) from None

    def validate_page_size(self, value: int) -> int:
        most = cards_settings.CARDS_LIST_MAX_PAGE_SIZE
        if value > most:
            raise serializers.ValidationError(PAGE_SIZE_TOO_LARGE.format(most=most))
        return value


class CardListOutputSerializer(serializers.Serializer):
    """One page of the board's cards, oldest first; follow `next` for the rest."""

    # The schema's shape only: the view builds the answer with card_list_json.

    cards = CardOutputSerializer(many=True)
    next = serializers.CharField(
        allow_null=True,
        help_text="Pass it as `cursor` for the next page; null on the last page.",
    )


def dates_as_utc_text() -> bool:
    """Whether the database may write the page's date-times: only in UTC, on PostgreSQL."""
    return dates_as_text_supported() and timezone.get_current_timezone_name() == "UTC"


def card_list_json(page: CardPage) -> dict[str, Any]:
    zone = timezone.get_current_timezone()

    def when(value: datetime | str | None) -> str | None:
        # DRF's DateTimeField: the active zone, ISO 8601, "Z" for UTC.
        if value is None or isinstance(value, str):
            return value
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    cards = [
        {"id": row[_ID], "board": row[_BOARD], "provider": row[_PROVIDER],
         "external_id": row[_EXTERNAL_ID], "url": row[_URL], "title": row[_TITLE],
         "description": row[_DESCRIPTION], "assignee_name": row[_ASSIGNEE_NAME],
         "assignee_email": row[_ASSIGNEE_EMAIL], "status": row[_STATUS],
         "priority": row[_PRIORITY], "synced_at": when(row[_SYNCED_AT]),
         "sync_error": row[_SYNC_ERROR], "created_at": when(row[_CREATED_AT])}
        for row in page.rows
    ]
    return {"cards": cards, "next": cursor_encode(page.next) if page.next else None}
