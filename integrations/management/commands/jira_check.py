"""`manage.py jira_check URL`: the Jira Server compatibility check, as a readable report.

Exits 0 when every requirement passes (warnings included) and 1 when one fails; `--json` prints
the report as the console stores it.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.providers import get_provider

FAILED = "Jira Server at {url} is not compatible: {label}."


class Command(BaseCommand):
    help = (
        "Check that a Jira Server can be connected: HTTPS, a public address, "
        "/rest/api/2/serverInfo, and a supported version (7.13.5 - 8.21.1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="Jira's base URL, e.g. https://jira.example.com")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options) -> None:
        # Jira's checks through its manifest's console hook (the registry), not an import.
        checks = get_provider("jira_server").manifest.console().checks
        report = checks.compatibility_check(options["url"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(report.render_text())
        if not report.passed:
            raise CommandError(
                FAILED.format(url=report.base_url, label=checks.outcome_label(report)), returncode=1
            )
