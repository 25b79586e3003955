"""The egress guard: every outbound HTTP call of Conduit goes through a session made here.

    session = guarded_session(allowed_hosts=[team_jira_host], session_class=OAuth1Session, ...)

Allow-listed hosts only (provider hosts from settings, EGRESS_ALLOWED_HOSTS, the caller's),
https only (plain http to loopback when EGRESS_ALLOW_LOOPBACK), no private, loopback,
link-local, CGNAT, metadata or reserved address (checked after resolution, on every redirect
hop), the connection pinned to the checked address, and bounded timeouts on every call.
"""

from integrations.egress.addresses import ADDRESS_REFUSED, EMBEDDED_ADDRESS_REFUSED
from integrations.egress.policy import (
    HOST_NOT_ALLOWED,
    MISSING_HOST,
    NAME_DOES_NOT_RESOLVE,
    PLAIN_HTTP_REFUSED,
    PROXY_REFUSED,
    SCHEME_REFUSED,
    VERIFY_REFUSED,
    Destination,
    EgressRefused,
    EgressResolutionError,
    allowed_hosts,
    check_destination,
)
from integrations.egress.transport import (
    EgressGuardAdapter,
    bounded_timeout,
    guard_session,
    guarded_session,
    thread_session,
)

__all__ = [
    "ADDRESS_REFUSED",
    "EMBEDDED_ADDRESS_REFUSED",
    "HOST_NOT_ALLOWED",
    "MISSING_HOST",
    "NAME_DOES_NOT_RESOLVE",
    "PLAIN_HTTP_REFUSED",
    "PROXY_REFUSED",
    "SCHEME_REFUSED",
    "VERIFY_REFUSED",
    "Destination",
    "EgressGuardAdapter",
    "EgressRefused",
    "EgressResolutionError",
    "allowed_hosts",
    "bounded_timeout",
    "check_destination",
    "guard_session",
    "guarded_session",
    "thread_session",
]
