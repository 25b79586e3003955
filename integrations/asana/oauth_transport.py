"""oauthlib's https-only rule, relaxed for the loopback sandbox and for nothing else.

oauthlib refuses plain http (`InsecureTransportError`) unless the process-wide environment
variable OAUTHLIB_INSECURE_TRANSPORT is set. Setting it would turn the rule off for every URL, in
every thread, for as long as the process lives. Instead, `is_secure_transport` as imported by
requests-oauthlib's OAuth2Session and by oauthlib's request builders is wrapped once (at import of
this module): the wrapper answers as oauthlib does, except that an `http://` URL to a loopback
host passes while *all three* hold:

- the current context is inside `loopback_transport()` (a ContextVar, so per thread and per
  asyncio task: another request served by the same process is not affected);
- EGRESS_ALLOW_LOOPBACK is on at that moment (off in production);
- the URL's host is localhost, 127.0.0.0/8 or ::1.

The egress guard still checks every connection independently (plain http only to loopback and
only with the same setting), so a mistake here cannot open plain http to the internet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from ipaddress import ip_address
from urllib.parse import urlsplit

import oauthlib.oauth2.rfc6749.parameters as oauthlib_parameters
import requests_oauthlib.oauth2_session as oauth2_session

from integrations.conf import integration_settings

_loopback_allowed: ContextVar[bool] = ContextVar("asana_oauth_loopback_allowed", default=False)


def is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback and getattr(address, "ipv4_mapped", None) is None


def _relaxed(original: Callable[[str], bool]) -> Callable[[str], bool]:
    def is_secure_transport(uri: str) -> bool:
        if original(uri):
            return True
        return (
            _loopback_allowed.get()
            and bool(integration_settings.EGRESS_ALLOW_LOOPBACK)
            and is_loopback_http(uri)
        )

    is_secure_transport.conduit_relaxed = True  # type: ignore[attr-defined]
    return is_secure_transport


def _install() -> None:
    for module in (oauth2_session, oauthlib_parameters):
        current = module.is_secure_transport
        if not getattr(current, "conduit_relaxed", False):
            module.is_secure_transport = _relaxed(current)


_install()


@contextmanager
def loopback_transport() -> Iterator[None]:
    """Within the block (this context only), oauthlib accepts http to loopback when allowed."""
    token = _loopback_allowed.set(bool(integration_settings.EGRESS_ALLOW_LOOPBACK))
    try:
        yield
    finally:
        _loopback_allowed.reset(token)
