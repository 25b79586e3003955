"""What a provider package declares about itself, read by the registry and everything derived
from it: the catalog (key, name, plans), the egress allow-list (hosts from its own settings),
the `sandbox` and `trial` commands (its simulator), and its capabilities."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from config.app_settings import AppSettings


class AuthKind(StrEnum):
    OAUTH2 = "oauth2"  # authorization code (with PKCE), refreshable access tokens
    OAUTH1 = "oauth1"  # OAuth 1.0a (RSA-SHA1), tokens that do not expire and cannot refresh


@dataclass(frozen=True)
class SandboxSpec:
    """The package's simulator, for `manage.py sandbox NAME` and the trial.

    `environment(base_url)` gives the settings that point Conduit at a simulator listening on
    `base_url`; `options(base_url)` the simulator's own `--option key=value` strings.
    """

    name: str  # the command-line name: "asana", "jira"
    simulator: str  # "module.path:ClassName"
    default_port: int
    environment: Callable[[str], dict[str, str]] = lambda base_url: {}
    options: Callable[[str], list[str]] = lambda base_url: []
    # The trial's demo tickets: a few of the simulator's seed items mapped by the provider's
    # own mapping (what importing them would store), for a simulator at `base_url`.
    demo_tickets: Callable[[str], list[Any]] = lambda base_url: []


@dataclass(frozen=True)
class AuditActionSpec:
    """An audit action the provider's console or services record (Jira's server registration,
    checks, links): its stored value (`<provider key>.<what>`), its console label and the
    sentence the audit log reads it as (`{actor}`, `{target}`, `{team}` and metadata keys)."""

    value: str
    label: str
    sentence: str = ""


@dataclass(frozen=True)
class ConsentSpec:
    """What Conduit's pre-consent page says of the provider: what is read with the person's
    account, and why each scope (or, without scopes, each access level) is asked. Every scope
    the provider's authorization asks for has its reason here."""

    reads: tuple[str, ...]
    scopes: tuple[tuple[str, str], ...]  # (scope, why it is asked)


@dataclass(frozen=True)
class ProviderManifest:
    """One provider package's declaration; `capabilities` are protocol classes from
    integrations.providers.capabilities that the provider object implements."""

    key: str
    name: str
    plans: frozenset[str]  # approvals.catalog.Plan values the integration is offered on
    auth_kind: AuthKind
    capabilities: frozenset[type]
    settings: AppSettings
    # The hosts every call of this provider may reach, read from its settings at call time.
    egress_hosts: Callable[[], Iterable[str]] = lambda: ()
    # True when calls need a per-team `Connection` (Jira's server) that an admin sets up.
    needs_connection: bool = False
    sandbox: SandboxSpec | None = None
    consent: ConsentSpec | None = None
    # Audit actions of its own: the audit log accepts and labels them without any edit of
    # approvals' AuditAction (each value starts with the provider's key and a dot).
    audit_actions: tuple[AuditActionSpec, ...] = ()
    # The provider's console hook: returns the object (a module of its package) through which
    # the governance console and management commands drive it (Jira's registration services,
    # selectors and checks), so nothing outside the package imports it.
    console: Callable[[], Any] | None = None
    description: str = field(default="")
