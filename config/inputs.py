"""Strict parsing of untrusted input that views share: ids, `next` URLs and JSON bodies.

Each parser answers "not valid" (None, "" or a ValueError subclass) for anything it does not
accept, so a view can turn it into a 4xx; none of them lets a bad value reach the database,
`reverse()` or a recursive decoder.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

# Row ids are positive 64-bit integers: at most 18 ASCII digits always fit (str.isdigit() and
# int() accept "²" or "١", which are no id a form of Conduit ever sends).
ID_PATTERN = re.compile(r"[1-9][0-9]{0,17}")
NEXT_MAX_LENGTH = 2000
# A path of this site: printable ASCII only, no backslash (browsers read "\" as "/").
NEXT_PATTERN = re.compile(r"/(?![/\\])[\x21-\x5b\x5d-\x7e]*")
JSON_MAX_DEPTH = 32
JSON_TOO_DEEP = f"The JSON body is nested more than {JSON_MAX_DEPTH} levels deep."
JSON_INVALID = "The body is not valid JSON."


def parse_id(value: object) -> int | None:
    """The positive integer `value` spells in ASCII digits, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < 10**18 else None
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return int(value)
    return None


def safe_next(request: HttpRequest, url: str | None) -> str:
    """`url` when it is a path of one of this site's pages (it resolves to a view), else "".

    Decided before a view changes anything, so an unusable `next` never fails a request whose
    work is already done; the answer is always a valid Location (ASCII, no control character).
    """
    if not url or len(url) > NEXT_MAX_LENGTH or not NEXT_PATTERN.fullmatch(url):
        return ""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return ""
    try:
        resolve(url.split("?", 1)[0].split("#", 1)[0])
    except Resolver404:
        return ""
    return url


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than JSON_MAX_DEPTH."""


def json_depth_check(document: Any, *, max_depth: int = JSON_MAX_DEPTH) -> None:
    """Raises JSONTooDeep when `document` nests lists and objects more than `max_depth` levels
    (iteratively: checking depth must not itself recurse)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            raise JSONTooDeep(JSON_TOO_DEEP)
        stack.extend((child, depth + 1) for child in children)


def json_loads_bounded(data: str | bytes, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """`json.loads(data)` that raises ValueError (JSONTooDeep for nesting) for every body it
    refuses: the standard decoder raises RecursionError, not ValueError, on deep nesting."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise JSONTooDeep(JSON_TOO_DEEP) from None
    json_depth_check(document, max_depth=max_depth)
    return document
