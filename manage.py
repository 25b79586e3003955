#!/usr/bin/env python
"""Django's command-line utility for Conduit."""

import os
import sys

DATABASE_UNREACHABLE = (
    "conduit: the database cannot be reached ({reason}): check DATABASE_URL and that the "
    "database server is running and accepts connections."
)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, InterfaceError) as error:
        # An operator running `migrate` or `release` against a database that is down needs one
        # line saying what to fix, not a traceback through the ORM.
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        sys.stderr.write(DATABASE_UNREACHABLE.format(reason=reason) + "\n")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
