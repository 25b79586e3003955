"""No secret leaves through logs, pages, API answers or Sentry: a whole connect -> API use ->
refresh -> revoke run with DEBUG log capture, the console and user pages rendered, the REST API
called and Sentry initialised with Conduit's options and a transport that keeps envelopes."""

from __future__ import annotations

import logging

import pytest
import sentry_sdk
from django.conf import settings
from django.urls import reverse
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from approvals.models import AuditEvent
from config.sentry import sentry_options
from tests.factories import make_support
from tests.tokens.lifecycle_fixtures import consent, expire
from tokens import services
from tokens.flow import SESSION_PREFIX
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db


class CapturingTransport(Transport):
    """Keeps every envelope Sentry would send, serialized exactly as it would go out."""

    envelopes: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        CapturingTransport.envelopes.append(envelope.serialize())

    def flush(self, timeout: float, callback=None) -> None:
        return None


@pytest.fixture
def sentry_events():
    CapturingTransport.envelopes = []
    sentry_sdk.init(**sentry_options("https://public@127.0.0.1:9/1", "test"),
                    transport=CapturingTransport)
    yield CapturingTransport.envelopes
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: a disabled client for the rest of the session


def test_no_token_secret_or_code_appears_anywhere_during_a_full_lifecycle(
        client, asana, asana_team, caplog, sentry_events, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    user, team = asana_team.member, asana_team.team
    outputs: list[str] = []

    def keep(response) -> None:
        outputs.append(f"{response.status_code} {dict(response.headers)!r}")
        outputs.append(response.content.decode(errors="replace"))

    client.force_login(user)
    # Connect.
    started = client.get(reverse("tokens:connect", args=["asana"]), {"consent": "continue"})
    keep(started)
    verifier = client.session[SESSION_PREFIX + "asana"]["verifier"]
    path, params = consent(asana, started["Location"])
    code = params["code"]
    callback = client.get(path, params)
    keep(callback)
    assert callback.status_code == 302
    account = ConnectedAccount.objects.get(user=user)
    secrets = {"authorization code": code, "client secret": settings.ASANA_CLIENT_SECRET,
               "access token": account.access_token, "refresh token": account.refresh_token,
               "PKCE verifier": verifier}

    # API use through the REST API, with an expired token: refreshed on demand (rotation on).
    expire(asana, account)
    for url in ("/api/v1/me", f"/api/v1/integrations/?team={team.pk}",
                f"/api/v1/integrations/asana/picker/?team={team.pk}"):
        keep(client.get(url))
    account.refresh_from_db()
    secrets["refreshed access token"] = account.access_token
    secrets["rotated refresh token"] = account.refresh_token
    assert secrets["rotated refresh token"] != secrets["refresh token"]

    # A forced refresh, and a provider error carrying the token, reported to Sentry.
    account = services.account_refresh(account=account, force=True)
    secrets["second access token"] = account.access_token
    secrets["second refresh token"] = account.refresh_token

    def failing_call(credentials):
        raise RuntimeError(
            f"Asana said no to Authorization: Bearer {credentials.access_token} "
            f"(refresh_token={account.refresh_token})"
        )

    try:
        services.account_call(account=account, call=failing_call)
    except RuntimeError as error:
        sentry_sdk.capture_exception(error)
    logging.getLogger("tokens.test").error("refresh failed; access_token=%s",
                                           account.access_token)

    # Pages: the user's and the console's, before and after revocation.
    keep(client.get(reverse("tokens:integrations")))
    console = client.__class__()
    console.force_login(make_support())
    keep(console.get(reverse("admin:tokens_connectedaccount_changelist")))
    keep(console.get(reverse("admin:tokens_connectedaccount_change", args=[account.pk])))

    # Revoke.
    with django_capture_on_commit_callbacks(execute=True):
        keep(client.post(reverse("tokens:disconnect", args=["asana"]), {"team": team.pk}))
    assert not ConnectedAccount.objects.exclude(status=ConnectedAccount.Status.REVOKED).exists()
    keep(console.get(reverse("admin:tokens_connectedaccount_change", args=[account.pk])))
    keep(console.get(reverse("admin:approvals_auditevent_changelist")))
    for event in AuditEvent.objects.all():
        keep(console.get(reverse("admin:approvals_auditevent_change", args=[event.pk])))
        outputs.append(repr(event.metadata))

    sentry_sdk.flush()
    assert sentry_events, "Sentry captured nothing: the test would prove nothing"
    places = {
        "logs": caplog.text + "\n".join(repr(record.args) for record in caplog.records),
        "pages and API answers": "\n".join(outputs),
        "Sentry": b"\n".join(sentry_events).decode(errors="replace"),
    }
    assert "refresh failed" in places["logs"]
    leaks = [f"{name} in {place}" for name, value in secrets.items() if value
             for place, text in places.items() if value in text]
    assert leaks == []


def test_oauth_libraries_do_not_log_below_warning():
    for name in ("oauthlib", "requests_oauthlib"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING

