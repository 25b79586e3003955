"""The API's JSON parser: DRF's, with a nesting limit.

The standard decoder raises RecursionError (a 500) on a body such as 100,000 "[": here any body
nested deeper than config.inputs.JSON_MAX_DEPTH is a ParseError, which the API answers with 400
in the error envelope. No endpoint takes documents anywhere near that deep.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.inputs import JSON_TOO_DEEP, JSONTooDeep, json_depth_check


class BoundedJSONParser(JSONParser):
    """JSONParser that refuses bodies nested deeper than JSON_MAX_DEPTH with a ParseError."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        try:
            document = super().parse(stream, media_type, parser_context)
            json_depth_check(document)
        except (RecursionError, JSONTooDeep):
            raise ParseError(JSON_TOO_DEEP) from None
        return document
