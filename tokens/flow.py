"""The connect flow's one-time `state`, kept in the browser's session between connect and
callback.

`flow_begin` stores what the callback needs (state, PKCE verifier or OAuth 1.0a request token,
team, next URL, start time) under the integration's key. `flow_take` removes it before anything
else (so a state is good for one callback, whatever the outcome) and refuses, with a typed
error: no stored flow (a session that never started one: None is never compared with None), a
state already used, a flow older than TOKEN_STATE_LIFETIME_SECONDS, and an answer whose state
differs (constant-time comparison). RFC 6749 section 10.12 and RFC 9700 section 4.7.1.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from integrations.providers import AuthorizationStart
from tokens import errors
from tokens.conf import token_settings

SESSION_PREFIX = "tokens.flow."
USED_KEY = "tokens.flow.used"
USED_MEMORY = 20  # digests of recently used states, to tell "reused" from "missing"


@dataclass(frozen=True)
class Flow:
    integration: str
    team_id: int
    start: AuthorizationStart
    next_url: str
    started_at: float


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def flow_begin(session: SessionBase, *, integration: str, team_id: int,
               start: AuthorizationStart, next_url: str) -> None:
    """Remember a started flow; a newer start for the same integration replaces it."""
    if not start.state:
        raise ValueError("a provider must return a non-empty state")
    session[SESSION_PREFIX + integration] = {
        "team": team_id,
        "state": start.state,
        "verifier": start.verifier,
        "request_token": start.request_token,
        "next": next_url,
        "started_at": time.time(),
    }


def _returned_state(params: dict[str, str], stored: dict[str, Any]) -> str:
    """The state the provider sent back: `state` (OAuth 2.0), or for OAuth 1.0a the request
    token (`oauth_token`), which is just as one-time and bound to this session."""
    returned = params.get("state") or ""
    if not returned and stored.get("request_token"):
        returned = params.get("oauth_token") or ""
    return returned


def flow_take(session: SessionBase, *, integration: str, params: dict[str, str],
              provider_name: str) -> Flow:
    """The stored flow matching the callback's parameters, removed from the session."""
    stored = session.pop(SESSION_PREFIX + integration, None)
    returned = _returned_state(params, stored or {})
    used: list[str] = list(session.get(USED_KEY, []))
    if not isinstance(stored, dict) or not stored.get("state"):
        if returned and _digest(returned) in used:
            raise errors.ConnectFlowRefused(errors.FLOW_STATE_REUSED, reason="state_reused")
        raise errors.ConnectFlowRefused(errors.FLOW_STATE_MISSING, reason="state_missing")
    session[USED_KEY] = ([_digest(stored["state"])] + used)[:USED_MEMORY]
    age = time.time() - float(stored.get("started_at") or 0)
    if age > float(token_settings.TOKEN_STATE_LIFETIME_SECONDS) or age < 0:
        raise errors.ConnectFlowRefused(errors.FLOW_STATE_EXPIRED, reason="state_expired")
    # An OAuth 1.0a callback that carries none of the provider's answer (no oauth_token: the
    # consent page never sent the browser back properly) goes on to the provider, which
    # explains what to check; it can exchange nothing without the token and verifier.
    answerless_oauth1 = bool(stored.get("request_token")) and not any(
        params.get(name) for name in ("oauth_token", "oauth_verifier", "state")
    )
    matches = bool(returned) and hmac.compare_digest(returned.encode(), stored["state"].encode())
    if not (matches or answerless_oauth1):
        raise errors.ConnectFlowRefused(
            errors.FLOW_STATE_MISMATCH.format(integration=provider_name), reason="state_mismatch"
        )
    start = AuthorizationStart(
        url="", state=stored["state"], verifier=stored.get("verifier", ""),
        request_token=stored.get("request_token", ""),
    )
    return Flow(integration=integration, team_id=int(stored["team"]), start=start,
                next_url=stored.get("next", ""), started_at=float(stored["started_at"]))
