"""The API's rate limits (config.throttling) against the real Redis: exactly the rate per client,
a 429 with Retry-After beyond it, the previous window weighing in, never more than the rate under
concurrent requests, and requests let through while Redis is unreachable."""

from __future__ import annotations

import secrets
import socket
import threading

import pytest
from django.contrib.auth.models import User
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from config import throttling


def _view(rate: str, *, clock: float | None = None, anonymous: bool = False):
    """A DRF view limited to `rate` under a scope of its own (keys never shared between tests);
    `clock` pins DRF's throttle timer (its own hook) where a test needs a known window."""
    base = throttling.AnonRateThrottle if anonymous else throttling.UserRateThrottle
    attributes = {"rate": rate, "scope": f"test-{secrets.token_hex(6)}"}
    if clock is not None:
        attributes["timer"] = staticmethod(lambda: clock)
    throttle = type("Throttle", (base,), attributes)

    class LimitedView(APIView):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes = [throttle]

        def get(self, request):
            return Response({"ok": True})

    return LimitedView.as_view()


def _call(view, *, user_id: int | None = 1, address: str = "127.0.0.9"):
    request = APIRequestFactory().get("/limited", REMOTE_ADDR=address)
    if user_id is not None:
        force_authenticate(request, user=User(pk=user_id, username=f"u{user_id}"))
    return view(request)


def test_a_user_gets_exactly_the_rate_then_a_429_with_retry_after():
    view = _view("3/minute", clock=6_000_000 * 60 + 1.0)  # one second into a window
    assert [_call(view).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = _call(view)
    assert refused.status_code == 429
    # The window is full: it must end (59 s) and then weigh at most 2 of its 3 (20 s more).
    assert int(refused["Retry-After"]) == 79


def test_each_user_and_each_anonymous_address_has_its_own_budget():
    user_view = _view("2/minute")
    assert [_call(user_view, user_id=1).status_code for _ in range(3)] == [200, 200, 429]
    assert _call(user_view, user_id=2).status_code == 200
    anonymous_view = _view("1/minute", anonymous=True)
    assert _call(anonymous_view, user_id=None, address="127.0.0.10").status_code == 200
    assert _call(anonymous_view, user_id=None, address="127.0.0.10").status_code == 429
    assert _call(anonymous_view, user_id=None, address="127.0.0.11").status_code == 200


def test_the_previous_windows_requests_weigh_in_as_the_window_slides():
    start = 6_000_000 * 60.0
    scope_view = _view("4/minute", clock=start + 30)  # half-way through a window
    assert [_call(scope_view).status_code for _ in range(4)] == [200] * 4
    throttle = scope_view.view_class.throttle_classes[0]
    # 15 s into the next window, 3/4 of the previous one still counts: 4 * 0.75 = 3, one more.
    throttle.timer = staticmethod(lambda: start + 60 + 15)
    assert [_call(scope_view).status_code for _ in range(2)] == [200, 429]
    # 45 s in: 4 * 0.25 + 1 = 2 used of 4.
    throttle.timer = staticmethod(lambda: start + 60 + 45)
    assert [_call(scope_view).status_code for _ in range(3)] == [200, 200, 429]


def test_concurrent_requests_never_get_more_than_the_rate_through():
    view = _view("10/minute")
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def client() -> None:
        barrier.wait()
        for _ in range(5):
            status = _call(view).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 10 + [429] * 30


def test_with_redis_unreachable_requests_go_through(settings, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{closed}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1}}}
    view = _view("1/minute")
    assert [_call(view).status_code for _ in range(3)] == [200] * 3
    assert "throttle skipped: Redis unreachable" in caplog.text


@pytest.mark.parametrize("rate", ["2/minute"])
def test_without_redis_drfs_own_counting_applies(settings, rate):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    view = _view(rate)
    assert [_call(view).status_code for _ in range(3)] == [200, 200, 429]
