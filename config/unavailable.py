"""The one place that turns an outage into Conduit's 503 page or the API's 503 envelope.

A database that is unreachable or locked (`OperationalError` / `InterfaceError`, SQLite's
"database is locked" after its busy timeout included) and a broker that cannot take a task
(kombu's `OperationalError`) are outages, not bugs: they answer 503 with a message saying so,
never a 500. `server_error` is Django's `handler500`: every uncaught exception of a view or a
middleware reaches it inside the `except` block, so the outage is recognised wherever it was
raised. Pages are rendered without the session or the user, which need the database.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from kombu.exceptions import OperationalError as BrokerOperationalError

from config.errors import error_body

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (
    "Conduit's database cannot be reached or is busy right now. Nothing was lost: try again in "
    "a minute."
)
QUEUE_UNAVAILABLE = (
    "Conduit cannot queue background work right now (its task queue is unreachable): try "
    "again in a minute."
)
SERVER_ERROR = "Conduit could not finish this request; the error has been recorded."
API_PREFIX = "/api/"

OUTAGES: tuple[tuple[tuple[type[BaseException], ...], str, str], ...] = (
    ((DatabaseOperationalError, InterfaceError), "database_unavailable", DATABASE_UNAVAILABLE),
    ((BrokerOperationalError,), "queue_unavailable", QUEUE_UNAVAILABLE),
)


def outage_of(error: BaseException | None) -> tuple[str, str] | None:
    """(code, message) when `error`, or an error it was raised from, is an outage."""
    seen = 0
    while error is not None and seen < 5:
        for kinds, code, message in OUTAGES:
            if isinstance(error, kinds):
                return code, message
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def unavailable_response(request: HttpRequest, *, code: str, message: str) -> HttpResponse:
    """503 with Retry-After: the JSON envelope under /api/, the styled page elsewhere."""
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(error_body(code, message), status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"message": message}),
                                status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage answers 503; anything else Conduit's 500 page or envelope."""
    outage = outage_of(sys.exc_info()[1])
    if outage is not None:
        code, message = outage
        logger.warning("answered 503 %s on %s", code, request.path)
        return unavailable_response(request, code=code, message=message)
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("server_error", SERVER_ERROR), status=500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)


class OutageMiddleware:
    """Answers 503 for an outage raised in a view, before Django logs it as a server error."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        outage = outage_of(exception)
        if outage is None:
            return None
        code, message = outage
        logger.warning("answered 503 %s on %s: %s", code, request.path, type(exception).__name__)
        return unavailable_response(request, code=code, message=message)
