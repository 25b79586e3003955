"""The integration catalog: which integrations exist and which plans include them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Plan(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    BUSINESS = "business", "Business"
    ENTERPRISE = "enterprise", "Enterprise"


class IntegrationKey(models.TextChoices):
    ASANA = "asana", "Asana"
    JIRA_SERVER = "jira_server", "Jira Server"


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    name: str
    plans: frozenset[str]


CATALOG: dict[str, CatalogEntry] = {
    IntegrationKey.ASANA: CatalogEntry(
        key=IntegrationKey.ASANA,
        name="Asana",
        plans=frozenset({Plan.BUSINESS, Plan.ENTERPRISE}),
    ),
    IntegrationKey.JIRA_SERVER: CatalogEntry(
        key=IntegrationKey.JIRA_SERVER,
        name="Jira Server",
        plans=frozenset({Plan.BUSINESS, Plan.ENTERPRISE}),
    ),
}


def catalog_entry(key: str) -> CatalogEntry | None:
    return CATALOG.get(key)
