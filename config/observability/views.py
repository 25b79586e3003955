"""GET /metrics: Prometheus' text format, for a bearer token or a staff session only."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from config.observability.exposition import exposition

METRICS_REFUSED = "Metrics need a bearer token (METRICS_TOKEN) or a staff session."


def _allowed(request: HttpRequest) -> bool:
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(),
                                   token.encode())
    user = getattr(request, "user", None)
    return bool(user and user.is_active and user.is_staff)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The scrape; 401 with a Bearer challenge for anybody else (never public)."""
    if not _allowed(request):
        response = HttpResponse(METRICS_REFUSED + "\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
