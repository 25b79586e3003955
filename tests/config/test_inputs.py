"""config.inputs: what the strict parsers accept and refuse."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.inputs import (
    JSON_MAX_DEPTH,
    JSONTooDeep,
    json_loads_bounded,
    parse_id,
    safe_next,
)


@pytest.mark.parametrize("value, expected", [
    ("1", 1), ("42", 42), ("9" * 18, int("9" * 18)), (7, 7),
    ("0", None), ("01", None), ("-1", None), ("+1", None), (" 1", None), ("1 ", None),
    ("²", None), ("١", None), ("1.0", None), ("9" * 19, None), ("", None), (None, None),
    (True, None), (0, None), ("0x1", None),
])
def test_parse_id_takes_positive_ascii_integers_only(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("url, kept", [
    ("/", True), ("/boards/1", True), ("/integrations/?team=1", True),
    ("/no/such/page", False), ("😀", False), ("/😀", False), ("/\x00", False),
    ("a\x00b", False), ("//evil.example/", False), ("/\\evil.example", False),
    ("https://evil.example/", False), ("http://testserver/", False),
    ("javascript:alert(1)", False), ("boards", False), ("/" + "a" * 3000, False), ("", False),
])
def test_safe_next_keeps_only_paths_of_this_site(url, kept):
    request = RequestFactory().get("/")
    assert safe_next(request, url) == (url if kept else "")


def test_json_nested_up_to_the_limit_is_parsed_and_deeper_is_refused():
    at_limit = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    assert json_loads_bounded(at_limit) is not None
    with pytest.raises(JSONTooDeep):
        json_loads_bounded("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1))
    with pytest.raises(JSONTooDeep):
        json_loads_bounded('{"a":' * 100_000 + "1" + "}" * 100_000)
    with pytest.raises(ValueError):
        json_loads_bounded("{not json")
