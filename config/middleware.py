"""Response headers that every dynamic page and API answer carries."""

from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase


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


class CachedPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy string built once per process, not per response.

    `build_policy` parses the whole settings dict on every response, and twice (the policy and
    the report-only one). The answer depends only on the settings when the response carries no
    per-view override (`@csp_update` and friends) and the request used no nonce: then the strings
    built for the current settings objects are reused. Anything else takes django-csp's path.
    """

    OVERRIDES = ("_csp_config", "_csp_update", "_csp_replace",
                 "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self._built: tuple[object, object, str, str] | None = None

    def _policies(self) -> tuple[str, str]:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not policy or built[1] is not report_only:
            # Identity, not equality: override_settings gives new objects, and comparing the
            # dicts would cost about what building does.
            built = (policy, report_only, build_policy(),
                     build_policy(report_only=True) if report_only else "")
            self._built = built
        return built[2], built[3]

    def process_response(self, request: HttpRequest, response: HttpResponseBase
                         ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in self.OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # django-csp leaves the debug pages alone
        csp, csp_ro = self._policies()
        for header, value, exempt, setting in (
            (HEADER, csp, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, csp_ro, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not value or header in response or getattr(response, exempt, False):
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
