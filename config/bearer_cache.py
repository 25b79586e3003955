"""Conduit-issued access tokens as the API's bearer check loaded them, kept in each process for a
few seconds, so a client's burst of API calls costs one token lookup instead of one per call.

RFC 7662 §4 lets a resource server cache what it learned about a token at the price of
revocation latency; here that latency is zero in the usual case and bounded otherwise, by a
config.process_cache.ProcessCache:

- Every change to an access token, its application or its user (a save or a delete: revoke,
  refresh rotation, deactivation, an admin edit) drops the entries of the process that made it
  at once; every other process sees it within BEARER_TOKEN_GENERATION_CHECK_SECONDS (1).
- An entry is used BEARER_TOKEN_CACHE_SECONDS at most (10; 0 turns the cache off), so a bump
  lost while Redis was unreachable delays a revocation by that much at worst. With Redis
  unreachable every request reads the database.
- django-oauth-toolkit still checks expiry, scopes, audience and the application on every
  request, on the kept token; each request gets its own copies of the token, its user and its
  application. Entries are keyed by the token's SHA-256 (DOT's token_checksum), never the
  token.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

from config.app_settings import AppSettings
from config.process_cache import ProcessCache

bearer_settings = AppSettings("bearer tokens", {"BEARER_TOKEN_CACHE_SECONDS": 10,
                                                "BEARER_TOKEN_GENERATION_CHECK_SECONDS": 1.0})

GENERATION_KEY = "conduit:bearer-tokens:generation"


def _copy(token: Any) -> Any:
    """A token whose user and application are this request's own objects."""
    if token is None:
        return None
    fresh = copy.copy(token)
    if token.user_id is not None:
        fresh.user = copy.copy(token.user)
    if token.application_id is not None:
        fresh.application = copy.copy(token.application)
    return fresh


_tokens = ProcessCache(
    generation_key=GENERATION_KEY, copy=_copy,
    seconds=lambda: bearer_settings.BEARER_TOKEN_CACHE_SECONDS,
    check_seconds=lambda: bearer_settings.BEARER_TOKEN_GENERATION_CHECK_SECONDS,
)


def access_token_for(token: str, *, load: Callable[[str], Any]) -> Any:
    """The AccessToken of `token` (or None): the kept one while it is current, else `load`'s."""
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    return _tokens.get(checksum, load=lambda: load(token))


def _changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created:
        return  # nothing can be kept for a row that did not exist
    _tokens.changed()


def _token_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.is_expired():
        return  # refused anyway; `cleartokens` deleting thousands bumps nothing
    _changed(sender, instance)


def connect_invalidation() -> None:
    """Bump on every change that can alter a token's validity (called from cards.apps)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from oauth2_provider.models import get_access_token_model, get_application_model

    access_token = get_access_token_model()
    post_save.connect(_changed, sender=access_token, dispatch_uid="bearer-cache-token-saved")
    post_delete.connect(_token_deleted, sender=access_token,
                        dispatch_uid="bearer-cache-token-deleted")
    for model in (get_application_model(), get_user_model()):
        post_save.connect(_changed, sender=model, dispatch_uid=f"bearer-cache-{model.__name__}")
        post_delete.connect(_changed, sender=model,
                            dispatch_uid=f"bearer-cache-{model.__name__}-deleted")
