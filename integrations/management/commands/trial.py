"""`manage.py trial`: the whole product on one machine with its embedded defaults.

Migrates the local SQLite database, seeds a demo team (business plan) with an admin, a member
and a support user, starts both provider simulators and the web server (tasks run in-process),
prints the URL and the logins, and stops everything on Ctrl-C. Running it again reuses the data
and the logins.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

LOGINS_FILE = "trial_logins.json"
DEMO_USERS = (
    ("admin", "Team admin: the console at /admin/ and the boards"),
    ("member", "Member: boards, connects Asana and Jira"),
    ("support", "Support staff: console, read-only, revokes tokens"),
)


def trial_logins(local_dir: Path) -> dict[str, str]:
    """Passwords generated once for the demo users and kept in a file only its owner reads."""
    path = local_dir / LOGINS_FILE
    if path.exists():
        return json.loads(path.read_text())
    logins = {username: secrets.token_urlsafe(12) for username, _ in DEMO_USERS}
    local_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(logins, handle)
    return logins


def seed_demo(logins: dict[str, str]) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from approvals.catalog import Plan
    from approvals.models import Membership, Team
    from approvals.selectors import SUPPORT_GROUP

    user_model = get_user_model()
    team, _ = Team.objects.get_or_create(name="Demo Team", defaults={"plan": Plan.BUSINESS})
    for username, _ in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@demo.conduit.test"}
        )
        if created:
            user.set_password(logins[username])
        user.is_staff = username in {"admin", "support"}
        user.save()
        if username == "support":
            group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
            user.groups.add(group)
        else:
            role = Membership.Role.ADMIN if username == "admin" else Membership.Role.MEMBER
            Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
    try:
        from cards.demo import seed_demo_board
    except ImportError:
        return
    seed_demo_board(team=team)


class Command(BaseCommand):
    help = "Start Conduit with its embedded defaults: sandboxes, web server, demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--asana-port", type=int, default=8101)
        parser.add_argument("--jira-port", type=int, default=8102)
        parser.add_argument("--no-serve", action="store_true",
                            help="migrate and seed, print the logins, start nothing")

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("The trial is for a laptop: unset DJANGO_ENV=production.")
        call_command("migrate", interactive=False, verbosity=0)
        logins = trial_logins(Path(settings.LOCAL_DIR))
        seed_demo(logins)
        url = f"http://localhost:{options['port']}/"
        if options["no_serve"]:
            self.print_banner(url, logins)
            return
        asana = f"http://127.0.0.1:{options['asana_port']}"
        environment = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "ASANA_API_URL": f"{asana}/api/1.0",
            "ASANA_OAUTH_URL": f"{asana}/-/",
            "EGRESS_ALLOW_LOOPBACK": "true",
            "CSRF_TRUSTED_ORIGINS": f"http://localhost:{options['port']},"
                                    f"http://127.0.0.1:{options['port']}",
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        commands = [
            [*manage, "sandbox", "asana", "--port", str(options["asana_port"]),
             "--option", f"app_url={asana}"],
            [*manage, "sandbox", "jira", "--port", str(options["jira_port"])],
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
             "--bind", f"127.0.0.1:{options['port']}", "--workers", "1", "--threads", "8"],
        ]
        processes = [
            subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment)  # noqa: S603
            for command in commands
        ]
        self.print_banner(url, logins)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            self.stderr.write("A trial process stopped; stopping the others.")
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def print_banner(self, url: str, logins: dict[str, str]) -> None:
        lines = ["", f"Conduit is running at {url}", "", "Logins:"]
        for username, role in DEMO_USERS:
            lines.append(f"  {username:8} {logins[username]:20} {role}")
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
