"""`manage.py keyset create | rotate`: make the encrypted fields' keyset, or rotate it.

- `keyset create` prints a new tink AEAD keyset (JSON, one AES256_GCM key) for CONDUIT_KEYSET;
  `keyset create --file PATH` writes it to a new file with mode 0600 for CONDUIT_KEYSET_FILE
  (never overwriting one). It needs no database and no configured keyset, so it is the first
  step of a fresh install.
- `keyset rotate [options]` is `manage.py rotate_keys [options]` (a new primary key, then every
  value re-encrypted; see that command for its steps).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokens import crypto

FILE_EXISTS = "{path} already exists; keysets are never overwritten (choose a new path)."
FILE_WRITTEN = "New keyset written to {path} (mode 0600): set CONDUIT_KEYSET_FILE={path}"


class Command(BaseCommand):
    help = "Create a new keyset for CONDUIT_KEYSET(_FILE), or rotate the configured one."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="print a new keyset, or write it to --file")
        create.add_argument("--file", type=Path, default=None,
                            help="write a new file (mode 0600) instead of printing")
        rotate = actions.add_parser("rotate", help="same as `manage.py rotate_keys`")
        rotate.add_argument("options", nargs=argparse.REMAINDER,
                            help="options of rotate_keys (--resume, --drop-old, ...)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            call_command("rotate_keys", *options["options"], stdout=self.stdout,
                         stderr=self.stderr)
            return
        keyset = crypto.new_keyset()
        path: Path | None = options["file"]
        if path is None:
            self.stdout.write(crypto.serialize_keyset(keyset).strip())
            return
        try:
            crypto.write_new_keyset_file(path, keyset)
        except FileExistsError as error:
            raise CommandError(FILE_EXISTS.format(path=path)) from error
        self.stdout.write(FILE_WRITTEN.format(path=path))
