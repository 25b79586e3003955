"""`manage.py rotate_keys`: rotate the encrypted fields' keyset to a new primary key.

Steps, each safe to repeat:

1. `rotate_keys` adds a new AES256_GCM key, makes it primary and writes the keyset file back
   (atomically, mode 0600); every running process notices the changed file on its next
   encryption or decryption. Then it re-encrypts every EncryptedTextField of every model, in
   batches, skipping values already under the new key.
   If stored values are still under a non-primary key (an earlier run was interrupted), it does
   not add a key: it finishes that rotation and says so. `--resume` never adds a key;
   `--force-new-key` adds one all the same (when the newest key itself must be replaced).
2. `rotate_keys --drop-old` removes the keys that no stored value uses any more (never the
   primary); keys still in use are kept and listed.

When the keyset comes from the CONDUIT_KEYSET environment variable, which a command cannot
rewrite, step 1 writes the new keyset to `--output PATH` (a new file, mode 0600) and stops:
deploy it as CONDUIT_KEYSET to every process (old values still decrypt, the old keys are in it),
then run `rotate_keys --resume`. `--drop-old --output PATH` likewise writes the reduced keyset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokens import crypto
from tokens.management import rotation

BAR_WIDTH = 30
OUTPUT_REQUIRED = (
    "The keyset comes from CONDUIT_KEYSET, which cannot be rewritten: pass --output PATH to "
    "write the new keyset to a new file, then deploy it as CONDUIT_KEYSET."
)
OUTPUT_EXISTS = "--output {path} already exists; choose a new path (keysets are never overwritten)."
OUTPUT_ONLY_FOR_ENV = "--output is only for keysets from CONDUIT_KEYSET; this one is a file."
DROP_OLD_ALONE = (
    "--drop-old is a separate step: run it without --resume, --force-new-key or --limit."
)
RESUME_OR_FORCE = "--resume never adds a key and --force-new-key always does: choose one."


def progress_bar(label: str, done: int, total: int) -> str:
    filled = BAR_WIDTH if total == 0 else BAR_WIDTH * done // total
    return f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {done}/{total} {label}"


class Command(BaseCommand):
    help = "Add a new primary key to the encrypted fields' keyset and re-encrypt every value."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="only re-encrypt values not under the primary key; never add a key",
        )
        parser.add_argument(
            "--force-new-key",
            action="store_true",
            help="add a new primary key even when an earlier rotation did not finish",
        )
        parser.add_argument(
            "--drop-old",
            action="store_true",
            help="remove the keys no stored value uses (run after a finished rotation)",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="stop after the batch that brings the re-encrypted rows to this number",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="new file for the new keyset, when the keyset comes from CONDUIT_KEYSET",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        source = crypto.keyset_source()
        output: Path | None = options["output"]
        if output is not None and source.is_file:
            raise CommandError(OUTPUT_ONLY_FOR_ENV)
        if output is not None and output.exists():
            raise CommandError(OUTPUT_EXISTS.format(path=output))
        try:
            if options["drop_old"]:
                if options["resume"] or options["force_new_key"] or options["limit"] is not None:
                    raise CommandError(DROP_OLD_ALONE)
                self.drop_old(source, output)
                return
            if options["resume"] and options["force_new_key"]:
                raise CommandError(RESUME_OR_FORCE)
            if not options["resume"] and not self.add_primary_key(
                source, output, force=options["force_new_key"]
            ):
                return
            self.reencrypt(options["batch_size"], options["limit"])
        except (crypto.KeysetError, crypto.DecryptionError) as error:
            raise CommandError(str(error)) from error

    def write(self, source: crypto.KeysetSource, output: Path | None, keyset: Any) -> bool:
        """Write the keyset back; False when it went to --output for a manual deploy."""
        if source.path is not None:
            crypto.write_keyset_file(source.path, keyset)
            crypto.reload_keyset()
            return True
        if output is None:
            raise CommandError(OUTPUT_REQUIRED)
        crypto.write_new_keyset_file(output, keyset)
        return False

    def add_primary_key(
        self, source: crypto.KeysetSource, output: Path | None, *, force: bool
    ) -> bool:
        """Add and promote a new key; False when nothing should be re-encrypted yet."""
        keyset = crypto.read_keyset(source)
        if not force and rotation.values_not_under(keyset.primary_key_id):
            self.stdout.write(
                f"Values are still under keys other than the primary key {keyset.primary_key_id}"
                " (an earlier rotation did not finish): finishing it without adding a key. Run "
                "rotate_keys again afterwards for a new key."
            )
            return True
        keyset, key_id = crypto.keyset_add_primary_key(keyset)
        if self.write(source, output, keyset):
            self.stdout.write(f"New primary key {key_id} written to {source.path}.")
            return True
        self.stdout.write(
            f"New keyset with primary key {key_id} written to {output}. Nothing was re-encrypted:"
            " set CONDUIT_KEYSET to this file's content on every process, restart them, then run "
            "`manage.py rotate_keys --resume`."
        )
        return False

    def reencrypt(self, batch_size: int, limit: int | None) -> None:
        def show(label: str, done: int, total: int) -> None:
            self.stderr.write(progress_bar(label, done, total), ending="")
            self.stderr.flush()

        current_label = None

        def on_progress(label: str, done: int, total: int) -> None:
            nonlocal current_label
            if current_label is not None and label != current_label:
                self.stderr.write("")
            current_label = label
            show(label, done, total)

        result = rotation.reencrypt_all(batch_size=batch_size, limit=limit, on_progress=on_progress)
        if current_label is not None:
            self.stderr.write("")
        primary = crypto.primary_key_id()
        self.stdout.write(
            f"Re-encrypted {result.values_reencrypted} values in {result.rows_reencrypted} of "
            f"{result.rows_seen} rows under key {primary}."
        )
        if result.stopped_at_limit:
            self.stdout.write("Stopped at --limit: run `manage.py rotate_keys --resume` to finish.")
        else:
            self.stdout.write("Done. Remove unused keys with `manage.py rotate_keys --drop-old`.")

    def drop_old(self, source: crypto.KeysetSource, output: Path | None) -> None:
        keyset = crypto.read_keyset(source)
        in_use = rotation.key_ids_in_use()
        unused = {
            key.key_id
            for key in keyset.key
            if key.key_id != keyset.primary_key_id and in_use[key.key_id] == 0
        }
        kept = sorted(
            key.key_id
            for key in keyset.key
            if key.key_id != keyset.primary_key_id and key.key_id not in unused
        )
        if kept:
            counts = ", ".join(f"{key_id} ({in_use[key_id]} values)" for key_id in kept)
            self.stdout.write(
                f"Kept old keys still in use: {counts}. Run `rotate_keys --resume` first to "
                "move those values to the primary key."
            )
        if not unused:
            self.stdout.write("No unused key to remove.")
            return
        if self.write(source, output, crypto.keyset_remove_keys(keyset, unused)):
            self.stdout.write(f"Removed keys {sorted(unused)} from {source.path}.")
        else:
            self.stdout.write(
                f"Keyset without keys {sorted(unused)} written to {output}: deploy it as "
                "CONDUIT_KEYSET."
            )
