"""`make bench`: P1-P5 against the Asana sandbox over TLS, Conduit interleaved with baselines.

    make bench                    # the full run (several minutes)
    make bench BENCH_MODE=small   # fewest repetitions: proves the bench works (CI)
    make bench BENCH_ONLY=P1,P3   # only these measures (P1 to P5; all when unset)

Creates a PostgreSQL database of its own (conduit_bench_<pid>, dropped at the end), uses the
Redis DB of BENCH_REDIS_URL (default db 14) with a queue of its own, starts the Asana sandbox
with a generated certificate, gunicorn (P5) and a real Celery worker (P4) on free ports, and
writes one JSON line per measure to bench/results/<run>-<mode>.jsonl and the P4 plot next to it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mode() -> str:
    if os.environ.get("BENCH_SMALL", "").lower() in ("1", "true", "yes"):
        return "small"
    mode = os.environ.get("BENCH_MODE", "full").strip().lower() or "full"
    if mode not in ("small", "full"):
        raise SystemExit(f"bench: BENCH_MODE is small or full, not {mode!r}")
    return mode


MEASURES = ("P1", "P2", "P3", "P4", "P5")


def _selected() -> set[str]:
    """The measures BENCH_ONLY names (`P2,P5`), or all of them."""
    names = {name.strip().upper() for name in os.environ.get("BENCH_ONLY", "").split(",")}
    names.discard("")
    unknown = names - set(MEASURES)
    if unknown:
        raise SystemExit(f"bench: BENCH_ONLY names {', '.join(MEASURES)}, not {sorted(unknown)}")
    return names or set(MEASURES)


def _environment(work_dir: Path) -> None:
    """What every process of the run shares (this one, the sandbox, gunicorn, the worker)."""
    run = str(os.getpid())
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_NAME": f"conduit_bench_{run}",
        "BENCH_QUEUE": f"conduit-bench-{run}",
        "CONDUIT_LOCAL_DIR": str(work_dir / "local"),  # one keyset and client secret for all
        # The throttle still runs on every request; it must not refuse the load generator.
        "API_THROTTLE_USER": "100000000/minute",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",  # the bench prints its own lines; INFO would drown them
    })


def _database(action: str) -> None:
    import psycopg

    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    name = os.environ["BENCH_DATABASE_NAME"]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        if action == "create":
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    sys.path.insert(0, str(ROOT))
    mode = _mode()
    selected = _selected()
    work_dir = Path(tempfile.mkdtemp(prefix="conduit-bench-"))
    _environment(work_dir)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import override_settings

    from bench import processes, scenarios
    from bench.harness import Results
    from bench.plot import p4_plot
    from bench.setup_data import world as make_world

    sizes = scenarios.SMALL if mode == "small" else scenarios.FULL
    results = Results(mode=mode)
    started = time.monotonic()
    print(f"bench ({mode}): database {os.environ['BENCH_DATABASE_NAME']}, "
          f"results {results.path.relative_to(ROOT)}", flush=True)
    _database("create")
    try:
        call_command("migrate", verbosity=0)
        with processes.asana_sandbox(work_dir=work_dir, token_lifetime="3600") as sandbox:
            overrides = {
                "ASANA_API_URL": sandbox.url("/api/1.0"),
                "ASANA_OAUTH_URL": sandbox.url("/-/"),
                "EGRESS_CA_BUNDLE": sandbox.ca_file,
            }
            os.environ.update(overrides)  # for gunicorn and the worker
            # For this process, already configured; sends setting_changed like a test's override.
            override_settings(**overrides).enable()
            world = make_world(sandbox)
            for key, scenario in (("P1", scenarios.p1_unfurl), ("P1", scenarios.p1_update),
                                  ("P2", scenarios.p2_cards_list), ("P3", scenarios.p3_import)):
                if key in selected:
                    results.add(scenario(world, sandbox, sizes))
            p4 = []
            if "P4" in selected:
                workers = 4
                with processes.celery_worker(work_dir=work_dir,
                                             queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                                             concurrency=workers):
                    p4 = scenarios.p4_refresh_sweep(world, sandbox, sizes, workers=workers)
            for measure in p4:
                results.add(measure)
            if "P5" in selected:
                with processes.gunicorn(work_dir=work_dir) as base_url:
                    results.add(scenarios.p5_api_throughput(world, sizes, base_url=base_url))
        if p4:
            plot = p4_plot(p4, results.path.with_suffix(".p4.png"))
            print(f"P4 plot: {plot.relative_to(ROOT)}")
        print(f"bench ({mode}) done in {time.monotonic() - started:.0f} s; "
              f"results {results.path.relative_to(ROOT)}")
        shutil.rmtree(work_dir, ignore_errors=True)
        return 0
    except BaseException:
        print(f"bench failed; the processes' logs are in {work_dir}", file=sys.stderr)
        raise
    finally:
        connections.close_all()
        _database("drop")


if __name__ == "__main__":
    raise SystemExit(main())
