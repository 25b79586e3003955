"""The request-id middleware: first in MIDDLEWARE, so every later log line carries the id."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.observability.request_id import (
    REQUEST_ID_HEADER,
    request_id_accept,
    request_id_reset,
    request_id_set,
)

# Where gunicorn's access log finds the id: request.META is the WSGI environ it logs from.
ENVIRON_KEY = "conduit.request_id"


class RequestIdMiddleware:
    """Accepts a sane incoming X-Request-ID or makes one, sets it for the request's duration
    and returns it in the response's X-Request-ID header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.META.get("HTTP_X_REQUEST_ID"))
        request.META[ENVIRON_KEY] = request_id
        token = request_id_set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
