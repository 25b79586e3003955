"""The provider registry, loaded from one setting: `CONDUIT_PROVIDERS`, a list of provider
package paths (Sentry registers its integrations from settings the same way).

Each package has a `provider` module whose `provider` attribute is the provider object; its
`manifest` says what it is and what it can do. The registry is read afresh whenever the setting
changes (`override_settings` in tests enables a provider with no other edit). It refuses a
package whose manifest declares a capability the provider lacks, or whose provider implements a
capability its manifest does not declare: `supports()` answers from the manifest, so the two
must agree.
"""

from __future__ import annotations

import threading
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from integrations.providers.capabilities import ALL_CAPABILITIES, Provider
from integrations.providers.values import LinkRef

DEFAULT_PROVIDERS = ("integrations.asana", "integrations.jira_server")
PROVIDER_MODULE = "provider"  # <package>.provider defines `provider`
UNKNOWN_PROVIDER = "No provider registered for {key!r}"
NOT_A_PROVIDER = "{package}.provider.provider is not a Provider (key, name, manifest, auth)"
KEY_MISMATCH = "{package}: the provider's key {key!r} differs from its manifest's {manifest!r}"
DUPLICATE_KEY = "Two packages in CONDUIT_PROVIDERS declare the provider key {key!r}"
CAPABILITY_MISSING = "{package} declares {capability} but its provider lacks its methods"
CAPABILITY_UNDECLARED = (
    "{package}'s provider implements {capability}: declare it in its manifest's capabilities"
)
UNKNOWN_CAPABILITY = "{package} declares {capability}, which is not a provider capability"
AUDIT_ACTION_OUTSIDE_KEY = (
    "{package} declares the audit action {action!r}: a provider's actions start with {prefix!r}"
)

_lock = threading.Lock()
_loaded_from: tuple[str, ...] | None = None
_registry: dict[str, Provider] = {}


class UnknownProvider(LookupError):
    """No enabled provider has this key."""


def provider_packages() -> tuple[str, ...]:
    return tuple(getattr(settings, "CONDUIT_PROVIDERS", DEFAULT_PROVIDERS))


def _load(package: str) -> Provider:
    module = import_module(f"{package}.{PROVIDER_MODULE}")
    provider = getattr(module, "provider", None)
    if provider is None or not isinstance(provider, Provider):
        raise ImproperlyConfigured(NOT_A_PROVIDER.format(package=package))
    manifest = provider.manifest
    if manifest.key != provider.key:
        raise ImproperlyConfigured(
            KEY_MISMATCH.format(package=package, key=provider.key, manifest=manifest.key))
    for capability in manifest.capabilities:
        if capability not in ALL_CAPABILITIES:
            raise ImproperlyConfigured(
                UNKNOWN_CAPABILITY.format(package=package, capability=capability.__name__))
    for capability in ALL_CAPABILITIES:
        declared = capability in manifest.capabilities
        if declared != isinstance(provider, capability):
            message = CAPABILITY_MISSING if declared else CAPABILITY_UNDECLARED
            raise ImproperlyConfigured(
                message.format(package=package, capability=capability.__name__))
    for spec in manifest.audit_actions:
        if not spec.value.startswith(f"{manifest.key}."):
            raise ImproperlyConfigured(AUDIT_ACTION_OUTSIDE_KEY.format(
                package=package, action=spec.value, prefix=f"{manifest.key}."))
    return provider


def _providers() -> dict[str, Provider]:
    global _loaded_from, _registry
    packages = provider_packages()
    if packages == _loaded_from:
        return _registry
    with _lock:
        if packages != _loaded_from:
            loaded: dict[str, Provider] = {}
            for package in packages:
                provider = _load(package)
                if provider.key in loaded:
                    raise ImproperlyConfigured(DUPLICATE_KEY.format(key=provider.key))
                loaded[provider.key] = provider
            _registry, _loaded_from = loaded, packages
    return _registry


def get_provider(key: str) -> Provider:
    """The enabled provider with this key; UnknownProvider (a LookupError) otherwise."""
    try:
        return _providers()[key]
    except KeyError:
        raise UnknownProvider(UNKNOWN_PROVIDER.format(key=key)) from None


def all_providers() -> list[Provider]:
    """The enabled providers, in CONDUIT_PROVIDERS order."""
    return list(_providers().values())


def provider_keys() -> list[str]:
    return list(_providers())


def is_provider(key: str) -> bool:
    """Whether `key` names an enabled provider: what services validate integration keys with
    (the model fields carry no `choices`, so a new provider needs no migration)."""
    return key in _providers()


def provider_name(key: str) -> str:
    """The display name of an enabled provider; the key itself for one no longer enabled (a
    row written while it was)."""
    provider = _providers().get(key)
    return provider.name if provider is not None else key


def supports(provider: Provider | str, capability: type) -> bool:
    """Whether the provider declares the capability (and so, checked at load, implements it)."""
    if isinstance(provider, str):
        found = _providers().get(provider)
        if found is None:
            return False
        provider = found
    return capability in provider.manifest.capabilities


def parse_any_link(url: str) -> LinkRef | None:
    """The first enabled provider's reading of a pasted URL; pure, like each `parse_link`."""
    from integrations.providers.capabilities import LinkParsing

    for provider in all_providers():
        if supports(provider, LinkParsing):
            reference = provider.parse_link(url)  # type: ignore[attr-defined]
            if reference is not None:
                return reference
    return None
