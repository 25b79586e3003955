"""`manage.py release`: the once-per-deploy step, run to completion before any other process.

Applies the migrations (which also create the Support group) and collects the static files.
A database that cannot be reached ends it with one line saying what to fix (manage.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the database and collect static files (run once per deploy, before the rest)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write("release: migrations applied, static files collected")
