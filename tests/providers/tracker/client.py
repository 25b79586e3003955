"""Tracker's API client and OAuth 2.0 (authorization code with PKCE S256, refresh, revoke),
over the egress-guarded session like every provider's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from integrations.base_client import BaseClient
from integrations.errors import OAuthError
from integrations.providers import AuthorizationStart, TokenSet
from tests.providers.tracker.conf import tracker_settings

PROVIDER = "Tracker"
STATE_MISMATCH = "The authorization answer does not belong to this sign-in (state mismatch)."


class TrackerClient(BaseClient):
    provider = PROVIDER
    WORKSPACES = "api/workspaces"
    PROJECTS = "api/workspaces/{workspace}/projects"
    SEARCH = "api/workspaces/{workspace}/search"
    PROJECT_ISSUES = "api/projects/{project}/issues"
    ISSUES = "api/issues"
    ISSUE = "api/issues/{issue}"
    ATTACHMENTS = "api/issues/{issue}/attachments"
    WEBHOOKS = "api/webhooks"
    WEBHOOK = "api/webhooks/{webhook}"
    TOKEN = "oauth/token"
    REVOKE = "oauth/revoke"

    def __init__(self, access_token: str = "") -> None:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        super().__init__(base_url=str(tracker_settings.TRACKER_URL), headers=headers)

    def form(self, path: str, data: dict[str, str]) -> Any:
        return self.request_json("POST", path, data=data)

    def patch(self, path: str, *, json: Any) -> Any:
        return self.request_json("PATCH", path, json=json)


def _client_credentials() -> dict[str, str]:
    return {"client_id": str(tracker_settings.TRACKER_CLIENT_ID),
            "client_secret": str(tracker_settings.TRACKER_CLIENT_SECRET)}


def _token_set(answer: dict[str, Any]) -> TokenSet:
    user = answer.get("user") or {}
    return TokenSet(
        access_token=answer["access_token"], refresh_token=answer.get("refresh_token"),
        expires_at=timezone.now() + timedelta(seconds=int(answer.get("expires_in") or 3600)),
        scopes=str(answer.get("scope") or ""), account_id=str(user.get("id") or ""),
        account_name=str(user.get("name") or ""), account_email=str(user.get("email") or ""),
    )


def authorization_start(*, redirect_uri: str) -> AuthorizationStart:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state = secrets.token_urlsafe(32)
    query = urlencode({"response_type": "code", "client_id": tracker_settings.TRACKER_CLIENT_ID,
                       "redirect_uri": redirect_uri, "state": state,
                       "code_challenge": challenge.decode(), "code_challenge_method": "S256"})
    base = str(tracker_settings.TRACKER_URL).rstrip("/")
    return AuthorizationStart(url=f"{base}/oauth/authorize?{query}", state=state,
                              verifier=verifier)


def authorization_finish(*, params: dict[str, str], start: AuthorizationStart,
                         redirect_uri: str) -> TokenSet:
    if not hmac.compare_digest(str(params.get("state", "")).encode(), start.state.encode()):
        raise OAuthError(STATE_MISMATCH, error="invalid_state", provider=PROVIDER)
    answer = TrackerClient().form(TrackerClient.TOKEN, {
        "grant_type": "authorization_code", "code": params.get("code", ""),
        "redirect_uri": redirect_uri, "code_verifier": start.verifier, **_client_credentials()})
    return _token_set(answer)


def refresh(*, refresh_token: str) -> TokenSet:
    answer = TrackerClient().form(TrackerClient.TOKEN, {
        "grant_type": "refresh_token", "refresh_token": refresh_token, **_client_credentials()})
    return _token_set(answer)


def revoke(*, token: str) -> None:
    TrackerClient().form(TrackerClient.REVOKE, {"token": token, **_client_credentials()})
