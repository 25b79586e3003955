"""Jira Server's console hook (the manifest's `console`): what the governance console's Jira
pages (integrations.admin) and `manage.py jira_check` drive, reached through the registry so
no module outside this package imports it."""

from __future__ import annotations

from integrations.jira_server import checks, selectors, services

__all__ = ["checks", "selectors", "services"]
