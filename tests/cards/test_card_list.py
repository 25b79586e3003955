"""The board's cards list in the API: pages behind an opaque `next` cursor, the same few queries
whatever the board's size, a bad cursor or page size refused with a 400, and card JSON equal to
what the card serializer gives for the same card."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from cards.api.card_list import CURSOR_INVALID, PAGE_SIZE_TOO_LARGE
from cards.api.serializers import CardOutputSerializer
from cards.conf import cards_settings
from cards.models import Board, CardWidget
from tests.cards.conftest import api_client, bearer_client, make_card

pytestmark = pytest.mark.django_db

# Session, user and the cards page (the membership check included); a bearer token costs its
# one lookup instead of the session's two.
LIST_QUERIES = 3


def _cards_path(board: Board, **query: object) -> str:
    search = "&".join(f"{name}={value}" for name, value in query.items())
    return f"/api/v1/boards/{board.pk}/cards/" + (f"?{search}" if search else "")


def _fill(board: Board, count: int, *, start: int = 0) -> list[int]:
    """`count` cards on `board`, created in one statement; their ids in the board's order."""
    created = timezone.now()
    CardWidget.objects.bulk_create(
        CardWidget(board=board, provider="asana", external_id=str(10**15 + index),
                   url=f"https://app.asana.com/0/0/{10**15 + index}", title=f"Card {index}",
                   created_at=created + timedelta(microseconds=index))
        for index in range(start, start + count)
    )
    return list(CardWidget.objects.filter(board=board).order_by("created_at", "id")
                .values_list("id", flat=True))


def _all_pages(client, board: Board, *, cursor: str = "", **query: object) -> list[dict]:
    pages = []
    while True:
        response = client.get(_cards_path(board, cursor=cursor, **query))
        assert response.status_code == 200, response.content[:300]
        pages.append(response.json())
        cursor = pages[-1]["next"]
        if cursor is None:
            return pages


def test_a_5000_card_board_answers_in_pages_of_the_default_size(team, member):
    board = Board.objects.create(team=team, name="Big")
    ids = _fill(board, 5000)
    pages = _all_pages(api_client(member), board)
    size = cards_settings.CARDS_LIST_PAGE_SIZE
    assert [len(page["cards"]) for page in pages] == [size] * (5000 // size)
    assert [card["id"] for page in pages for card in page["cards"]] == ids


def test_page_size_chooses_how_many_cards_a_page_holds_up_to_the_most(team, member):
    board = Board.objects.create(team=team, name="Sized")
    ids = _fill(board, 12)
    client = api_client(member)
    pages = _all_pages(client, board, page_size=5)
    assert [len(page["cards"]) for page in pages] == [5, 5, 2]
    assert [card["id"] for page in pages for card in page["cards"]] == ids
    most = cards_settings.CARDS_LIST_MAX_PAGE_SIZE
    assert client.get(_cards_path(board, page_size=most)).status_code == 200


def test_a_board_that_fits_in_one_page_has_no_next(board, member):
    card = make_card(board)
    body = api_client(member).get(_cards_path(board)).json()
    assert [item["id"] for item in body["cards"]] == [card.pk]
    assert body["next"] is None


def test_an_empty_board_is_an_empty_page(board, member):
    assert api_client(member).get(_cards_path(board)).json() == {"cards": [], "next": None}


def test_cards_added_or_removed_between_pages_never_repeat_or_skip_another(team, member):
    board = Board.objects.create(team=team, name="Changing")
    ids = _fill(board, 6)
    client = api_client(member)
    first = client.get(_cards_path(board, page_size=3)).json()
    CardWidget.objects.filter(pk__in=[ids[1], ids[4]]).delete()
    added = make_card(board, "1200000000000001")
    rest = _all_pages(client, board, page_size=3, cursor=first["next"])
    seen = [card["id"] for card in first["cards"]] + [
        card["id"] for page in rest for card in page["cards"]]
    assert seen == [ids[0], ids[1], ids[2], ids[3], ids[5], added.pk]


@pytest.mark.parametrize("cards", [50, 500])
def test_listing_costs_the_same_queries_for_50_and_500_cards(
    team, member, cards, django_assert_max_num_queries
):
    board = Board.objects.create(team=team, name=f"{cards} cards")
    _fill(board, cards)
    client = api_client(member)
    client.get(_cards_path(board))  # the first request mirrors the user's time zone in the session
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(_cards_path(board, page_size=cards))
    assert len(response.json()["cards"]) == cards


@pytest.mark.parametrize("cards", [50, 500])
def test_listing_with_a_bearer_token_costs_the_same_queries_for_50_and_500_cards(
    team, member, cards, django_assert_max_num_queries
):
    board = Board.objects.create(team=team, name=f"{cards} cards")
    _fill(board, cards)
    client = bearer_client(member, scope="read")
    with django_assert_max_num_queries(LIST_QUERIES - 1):
        response = client.get(_cards_path(board, page_size=cards))
    assert len(response.json()["cards"]) == cards


def _encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not-a-cursor", "%00", "%E2%98%83", _encoded("[]"), _encoded('["2026-01-01T00:00:00", 1]'),
    _encoded('["2026-01-01T00:00:00+00:00", "1"]'), _encoded('["2026-01-01T00:00:00+00:00", 0]'),
    _encoded('["2026-01-01T00:00:00+00:00", 9223372036854775808]'),
    _encoded('["2026-01-01T00:00:00+00:00", true]'), _encoded('{"a": 1, "b": 2}'),
    _encoded('["yesterday", 1]'), _encoded("\x00\xff"), "A" * 201,
])
def test_a_cursor_the_list_did_not_give_is_a_400(board, member, cursor):
    response = api_client(member).get(_cards_path(board, cursor=cursor))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "cursor" in response.json()["error"]["detail"]


@pytest.mark.parametrize("page_size", ["0", "-1", "ten", "1.5", "%00"])
def test_a_page_size_that_is_not_a_positive_number_is_a_400(board, member, page_size):
    response = api_client(member).get(_cards_path(board, page_size=page_size))
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["detail"]


def test_a_page_size_above_the_most_is_a_400_that_says_the_most(board, member):
    most = cards_settings.CARDS_LIST_MAX_PAGE_SIZE
    response = api_client(member).get(_cards_path(board, page_size=most + 1))
    assert response.status_code == 400
    assert response.json()["error"]["detail"]["page_size"] == [
        PAGE_SIZE_TOO_LARGE.format(most=most)]


def test_the_bad_cursor_message_says_to_start_again(board, member):
    response = api_client(member).get(_cards_path(board, cursor="x"))
    assert response.json()["error"]["detail"]["cursor"] == [CURSOR_INVALID]


@pytest.mark.parametrize("zone", ["", "Europe/Paris", "Asia/Kolkata"])
def test_each_card_is_what_the_card_serializer_gives(board, member, zone):
    from django.utils import timezone as django_timezone

    make_card(board, "1300000000000001", assignee_name="Grace", assignee_email="grace@example",
              priority="High", sync_error="The tool refused", synced_at=timezone.now())
    make_card(board, "1300000000000002", description="Ünïcode\nnotes ✓", synced_at=None)
    whole_second = make_card(board, "1300000000000003",
                             synced_at=timezone.now().replace(microsecond=0))
    CardWidget.objects.filter(pk=whole_second.pk).update(  # no fraction: none is written
        created_at=whole_second.created_at.replace(microsecond=0) + timedelta(days=1))
    client = api_client(member)
    if zone:
        client.cookies["conduit_tz"] = zone  # the browser's zone, as when.js sets it
    listed = client.get(_cards_path(board)).json()["cards"]
    cards = CardWidget.objects.filter(board=board).order_by("created_at", "id")
    if zone:
        django_timezone.activate(zone)
    try:
        expected = CardOutputSerializer(cards, many=True).data
    finally:
        django_timezone.deactivate()
    assert listed == [dict(card) for card in expected]
    assert listed[-1]["created_at"].count(".") == listed[-1]["synced_at"].count(".") == 0
    if zone:
        assert not listed[0]["created_at"].endswith("Z")


def test_another_teams_board_is_not_found_even_with_a_cursor_of_its_list(team, member, outsider):
    board = Board.objects.create(team=team, name="Theirs")
    _fill(board, 3)
    cursor = api_client(member).get(_cards_path(board, page_size=1)).json()["next"]
    for query in ({}, {"cursor": cursor}):
        response = api_client(outsider).get(_cards_path(board, **query))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "board_not_found"


def test_an_unknown_or_malformed_board_id_is_not_found(member):
    for board_id in (10**12, 2**63):
        response = api_client(member).get(f"/api/v1/boards/{board_id}/cards/")
        assert response.status_code == 404


@pytest.mark.parametrize("has_after", [False, True])
def test_the_page_statement_is_compiled_once_and_answers_as_the_orm_does(board, member,
                                                                         has_after):
    # The cards list runs SQL compiled once, with the values put where markers were
    # (cards.selectors._page_statement); the ORM's own query must give the same rows.
    from cards.selectors import CardPosition, _page_queryset, _page_rows, _page_statement

    if board.pk == member.pk:  # values that differ, so a parameter put in the wrong place shows
        board = Board.objects.create(team=board.team, name="Another", created_by=member)
    ids = _fill(board, 7)
    after = None
    if has_after:
        third = CardWidget.objects.get(pk=ids[2])
        after = CardPosition(created_at=third.created_at, id=third.pk)
    assert _page_statement((has_after, True, 3)) is not None
    for dates_as_utc_text in (False, True):
        arguments = {"board_pk": board.pk, "after": after, "size": 3,
                     "dates_as_utc_text": dates_as_utc_text}
        assert _page_rows(user=member, **arguments) == list(
            _page_queryset(user_id=member.pk, **arguments))
