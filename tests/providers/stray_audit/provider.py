"""Declares the audit action "account.revoke" (Conduit's own): the registry must refuse it."""

from __future__ import annotations

from dataclasses import replace

from integrations.providers import AuditActionSpec
from tests.providers.minimal.provider import MANIFEST, MinimalProvider


class StrayAuditProvider(MinimalProvider):
    key = "stray_audit"
    name = "Stray audit"
    manifest = replace(MANIFEST, key="stray_audit", name="Stray audit",
                       audit_actions=(AuditActionSpec("account.revoke", "Not mine"),))


provider = StrayAuditProvider()
