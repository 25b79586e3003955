"""The integration catalog: which integrations exist and which plans include them.

Derived from the provider registry (`CONDUIT_PROVIDERS`): each enabled provider's manifest gives
its key, name and plans. `CATALOG` is read afresh on every access, so a settings override that
enables a provider shows it at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.db import models

from approvals.errors import UNKNOWN_INTEGRATION, UnknownIntegration
from integrations.providers import all_providers


class Plan(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    BUSINESS = "business", "Business"
    ENTERPRISE = "enterprise", "Enterprise"


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    name: str
    plans: frozenset[str]


def _entries() -> dict[str, CatalogEntry]:
    known = set(Plan.values)
    return {
        provider.key: CatalogEntry(
            key=provider.key, name=provider.name,
            # A plan the manifest names but Conduit does not sell is ignored, not offered.
            plans=frozenset(provider.manifest.plans) & known,
        )
        for provider in all_providers()
    }


class _Catalog(Mapping[str, CatalogEntry]):
    """`CATALOG[key]`, `CATALOG.values()`, ...: the registry's providers as catalog entries."""

    def __getitem__(self, key: str) -> CatalogEntry:
        return _entries()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(_entries())

    def __len__(self) -> int:
        return len(_entries())


CATALOG: Mapping[str, CatalogEntry] = _Catalog()


def catalog_entry(key: str) -> CatalogEntry | None:
    return _entries().get(key)


def integration_entry(key: str) -> CatalogEntry:
    """The catalog entry of an enabled integration, or UnknownIntegration (404): the one error
    for a key no enabled provider has, in the API, the pages and the services."""
    entry = catalog_entry(key)
    if entry is None:
        raise UnknownIntegration(UNKNOWN_INTEGRATION.format(key=key))
    return entry
