"""`manage.py team_create`: the first team of a fresh install, its plan and its first admin.

The admin is a staff user with an admin membership of the team (the console at /admin/). The
password comes from CONDUIT_ADMIN_PASSWORD or `--password-file`; without either a strong one
is generated and printed once.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.catalog import Plan
from approvals.setup import SetupRefused, team_create


class Command(BaseCommand):
    help = "Create a team, its plan and its first admin user (a fresh install's first step)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the team's name")
        parser.add_argument("--plan", default=Plan.BUSINESS, choices=Plan.values)
        parser.add_argument("--admin", required=True, help="user name of the team's first admin")
        parser.add_argument("--email", default="", help="the admin's e-mail address")
        parser.add_argument("--password-file", type=Path, default=None,
                            help="file holding the admin's password (else CONDUIT_ADMIN_PASSWORD)")

    def handle(self, *args: Any, **options: Any) -> None:
        generated = False
        if options["password_file"] is not None:
            password = options["password_file"].read_text().strip()
        else:
            password = os.environ.get("CONDUIT_ADMIN_PASSWORD", "").strip()
        if not password:
            password, generated = secrets.token_urlsafe(18), True
        try:
            team, user = team_create(name=options["name"], plan=options["plan"],
                                     admin_username=options["admin"],
                                     admin_email=options["email"], admin_password=password)
        except SetupRefused as error:
            raise CommandError(error.message) from error
        except ValidationError as error:
            raise CommandError("The password is refused: " + " ".join(error.messages)) from error
        self.stdout.write(f"Team {team.name!r} ({team.plan}) created with admin {user.username!r}.")
        if generated:
            self.stdout.write(f"Generated password for {user.username!r} (shown once): {password}")
