"""`manage.py trial`: the whole product on one machine with its embedded defaults.

Migrates the local SQLite database, seeds a demo team (business plan) with an admin, a member,
a support user and a demo board with cards from both simulators, starts both provider
simulators (their state kept under `.local/sandbox/`) and the web server (tasks run
in-process), prints the URL, the logins and what to try first, and stops everything quietly on
Ctrl-C. Running it again reuses the data, the logins and the simulators' state.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

LOGINS_FILE = "trial_logins.json"
SIMULATOR_STATE_DIR = "sandbox"  # under LOCAL_DIR: the simulators' kept state
DEMO_TEAM = "Demo Team"
DEMO_BOARD = "Demo board"  # cards.demo.DEMO_BOARD_NAME, named in the banner
PORT_NOT_READY = "Nothing answered on port {port}: is another program using it?"
DEMO_USERS = (
    ("admin", "Team admin: the console at /admin/ and the boards"),
    ("member", "Member: boards, connects Asana and Jira"),
    ("support", "Support staff: console, read-only, revokes tokens"),
)


def web_environment(*, port: int, asana: str) -> dict[str, str]:
    """The environment of the trial's processes: the shell's, pointed at the simulators."""
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ASANA_API_URL": f"{asana}/api/1.0",
        "ASANA_OAUTH_URL": f"{asana}/-/",
        # The simulator's permalinks are on its own address: Conduit accepts them as links.
        "ASANA_APP_URL": asana,
        "EGRESS_ALLOW_LOOPBACK": "true",
        "CSRF_TRUSTED_ORIGINS": f"http://localhost:{port},http://127.0.0.1:{port}",
        # The trial starts no Celery worker: with a REDIS_URL left in the shell, tasks would
        # wait in a queue nobody reads (the Jira check "waiting for a worker…" for ever), so
        # they run in-process unless the variable says otherwise.
        "CELERY_TASK_ALWAYS_EAGER": os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true"),
    }


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


def seed_demo(logins: dict[str, str], *, asana_url: str, jira_url: str) -> None:
    """The demo team, its three people and its demo board (cards from both simulators)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from approvals.catalog import Plan
    from approvals.models import Membership, Team
    from approvals.selectors import SUPPORT_GROUP
    from cards.demo import demo_board_seed
    from integrations.sandbox.demo import demo_asana_tickets, demo_jira_tickets

    user_model = get_user_model()
    team, _ = Team.objects.get_or_create(name=DEMO_TEAM, defaults={"plan": Plan.BUSINESS})
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
    tickets = [*demo_asana_tickets(app_url=asana_url), *demo_jira_tickets(base_url=jira_url)]
    demo_board_seed(team=team, acting_user=user_model.objects.get(username="member"),
                    tickets=tickets)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> bool:
    """True once something accepts connections on 127.0.0.1:port (False if the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


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
        # A `kill` stops the simulators and the web server too (run()'s finally), like Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            self.run(options)
        except KeyboardInterrupt:
            pass  # Ctrl-C: run()'s finally has stopped what it started
        self.stdout.write("Conduit stopped. `make run` starts it again with the same data.")

    def run(self, options: dict) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        local_dir = Path(settings.LOCAL_DIR)
        logins = trial_logins(local_dir)
        url = f"http://localhost:{options['port']}/"
        asana = f"http://127.0.0.1:{options['asana_port']}"
        jira = f"http://127.0.0.1:{options['jira_port']}"
        seed_demo(logins, asana_url=asana, jira_url=jira)
        if options["no_serve"]:
            self.print_banner(url, logins, asana=asana, jira=jira)
            return
        environment = web_environment(port=options["port"], asana=asana)
        kept = local_dir / SIMULATOR_STATE_DIR
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        commands = [
            ([*manage, "sandbox", "asana", "--port", str(options["asana_port"]),
              "--option", f"app_url={asana}", "--state-file", str(kept / "asana.pickle")],
             options["asana_port"]),
            ([*manage, "sandbox", "jira", "--port", str(options["jira_port"]),
              "--state-file", str(kept / "jira.pickle")], options["jira_port"]),
            ([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
              "--bind", f"127.0.0.1:{options['port']}", "--workers", "1", "--threads", "8",
              # The access log stays; gunicorn's own start and stop lines are noise here.
              "--log-level", "warning"],
             options["port"]),
        ]
        processes: list[subprocess.Popen] = []
        try:
            for command, _ in commands:
                # Their own session: Ctrl-C reaches the trial alone, which stops them in order.
                processes.append(subprocess.Popen(  # noqa: S603
                    command, cwd=settings.BASE_DIR, env=environment, start_new_session=True,
                ))
            for process, (_, port) in zip(processes, commands, strict=True):
                if not wait_for_port(port, process):
                    raise CommandError(PORT_NOT_READY.format(port=port))
            self.print_banner(url, logins, asana=asana, jira=jira)
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            self.stderr.write("A trial process stopped; stopping the others.")
        finally:
            self.stop(processes)

    @staticmethod
    def stop(processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def print_banner(self, url: str, logins: dict[str, str], *, asana: str, jira: str) -> None:
        lines = ["", f"Conduit is running at {url}", "", "Logins:"]
        for username, role in DEMO_USERS:
            lines.append(f"  {username:8} {logins[username]:20} {role}")
        lines += [
            "",
            "Provider simulators (stand-ins for the real services, data kept in .local/):",
            f"  Asana  {asana}/   projects and tasks, each with a link to copy",
            f"  Jira   {jira}/   a Jira Server: the admin registers this address in the console",
            "",
            f"Try first: log in as member at {url}, open \"{DEMO_BOARD}\" and paste a task link",
            "copied from the Asana simulator's page. The README's walk-through goes on from there.",
            "",
            "Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
