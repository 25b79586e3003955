"""Response headers that every dynamic page and API answer carries."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class CrossOriginResourcePolicyMiddleware:
    """`Cross-Origin-Resource-Policy` (settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY, default
    `same-origin`) on every response, static files included.

    Django's SecurityMiddleware sets COOP but not CORP; without it another origin may embed
    Conduit's answers (images, scripts, JSON) as no-cors subresources and read them through
    side channels such as Spectre.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = getattr(settings, "SECURE_CROSS_ORIGIN_RESOURCE_POLICY", "same-origin")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Cross-Origin-Resource-Policy", self.policy)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-cache, no-store` on every response except static files.

    Pages carry CSRF tokens or user data, API answers carry user data: none may be cached by a
    browser or a proxy (the marketplace guideline asks for exactly this header).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(self.static_prefix):
            response["Cache-Control"] = "no-cache, no-store"
            response["Pragma"] = "no-cache"
        return response


BROWSER_TIME_ZONE_COOKIE = "conduit_tz"  # set by static/conduit/when.js: the browser's zone


class TimeZoneMiddleware:
    """Dates in the viewer's zone: the user's setting, else the browser's, else UTC.

    The setting is read from the session (approvals.personal mirrors it there), so no query is
    spent per request; the browser's zone comes from a cookie and is used only when it names a
    zone this machine knows.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.utils import timezone

        from approvals.personal import time_zone_of

        chosen = ""
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            chosen = time_zone_of(user=request.user, session=request.session)
        request.time_zone_setting = chosen
        name = chosen or request.COOKIES.get(BROWSER_TIME_ZONE_COOKIE, "")
        try:
            zone = ZoneInfo(name) if name and len(name) <= 64 else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
