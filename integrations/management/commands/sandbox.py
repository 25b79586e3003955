"""`manage.py sandbox NAME --port N`: run one provider simulator in this process.

The names are those of the enabled providers' manifests (`SandboxSpec.name`: "asana", "jira").
"""

from importlib import import_module
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from integrations.providers import SandboxSpec, all_providers

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def simulators() -> dict[str, SandboxSpec]:
    """The simulators of the enabled providers, by command-line name."""
    return {
        provider.manifest.sandbox.name: provider.manifest.sandbox
        for provider in all_providers()
        if provider.manifest.sandbox is not None
    }


def load_simulator(name: str):
    module_name, class_name = simulators()[name].simulator.split(":")
    return getattr(import_module(module_name), class_name)


class Command(BaseCommand):
    help = "Run a provider simulator on loopback (for the trial and the tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("simulator", choices=sorted(simulators()))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="simulator option, e.g. token_lifetime=5 or version=8.5.0 (repeatable)",
        )
        parser.add_argument(
            "--state-file",
            default="",
            help="keep the simulator's data, consents and tokens in this file across restarts",
        )
        parser.add_argument(
            "--tls",
            action="store_true",
            help="serve HTTPS with a certificate generated at start (same as --option tls=1); "
            "the CA file to trust is printed before the listening line",
        )
        parser.add_argument("--tls-dir", default=None, help="where to write the certificate")

    def handle(self, *args, **options) -> None:
        from integrations.sandbox.base import make_server

        simulator_class = load_simulator(options["simulator"])
        settings = dict(item.split("=", 1) for item in options["option"])
        # tls is the server's option, not the simulator's: every simulator can speak HTTPS.
        tls = options["tls"] or settings.pop("tls", "0").lower() in TRUE_VALUES
        app = simulator_class(**settings)
        server = make_server(
            app, options["host"], options["port"], tls=tls, tls_dir=options["tls_dir"]
        )
        kept = bool(options["state_file"]) and app.persist_to(Path(options["state_file"]))
        if server.ca_file:
            self.stdout.write(f"{app.name} sandbox CA file {server.ca_file}", ending="\n")
        # One line the caller can parse to learn the port when it asked for 0.
        self.stdout.write(f"{app.name} sandbox listening on {app.base_url}", ending="\n")
        if kept:
            self.stdout.write(f"{app.name} sandbox: kept state loaded", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
