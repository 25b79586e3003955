"""Interleaved measures, their ratios and the JSON lines of bench/results/.

A measure runs Conduit's operation and its baseline alternately (C, B, C, B, ...), so a noisy
neighbour on the machine slows both sides of the same pair; the ratio of each pair is taken,
and the report gives the median ratio with the min and max over the pairs.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import platform
import pstats
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Measure:
    """One line of the report and of the results file."""

    name: str
    unit: str  # "s" (lower is better) or "req/s" (higher is better)
    conduit: list[float]
    baseline: list[float]
    provider_calls: int | None = None  # Conduit's calls for one operation, from the sandbox log
    baseline_provider_calls: int | None = None
    sql_queries: int | None = None  # Conduit's queries for one operation
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratios(self) -> list[float]:
        return [c / b for c, b in zip(self.conduit, self.baseline, strict=True) if b > 0]

    def summary(self) -> dict[str, Any]:
        ratios = self.ratios
        return {
            "conduit_median": statistics.median(self.conduit),
            "baseline_median": statistics.median(self.baseline),
            "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "pairs": len(ratios),
        }


def _profiled(name: str, conduit: Callable[[], Any], runs: int) -> None:
    """With BENCH_PROFILE=1: `runs` more runs of Conduit's side under cProfile, outside the
    measured pairs; the stats go to bench/results/profile-<name>.prof and the headline (the
    functions of most cumulative time) is printed."""
    profiler = cProfile.Profile()
    for _ in range(runs):
        profiler.runcall(conduit)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"profile-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.prof"
    profiler.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(25)
    print(f"profile of {name} ({runs} runs), {path.name}:\n{out.getvalue()}", flush=True)


def interleave(conduit: Callable[[], Any], baseline: Callable[[], Any], *, pairs: int,
               warmup: int = 1, name: str = "") -> tuple[list[float], list[float]]:
    """Wall-clock seconds of `pairs` alternated runs of each, after `warmup` unmeasured pairs
    (and, with BENCH_PROFILE=1, the profile of Conduit's side over as many runs as pairs)."""
    for _ in range(warmup):
        conduit()
        baseline()
    if name and os.environ.get("BENCH_PROFILE", "").lower() in ("1", "true", "yes"):
        _profiled(name, conduit, runs=pairs)
    conduit_times: list[float] = []
    baseline_times: list[float] = []
    for index in range(pairs):
        # Alternate which side goes first, so neither always runs on a warmer cache.
        order = [(conduit, conduit_times), (baseline, baseline_times)]
        if index % 2:
            order.reverse()
        for call, times in order:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return conduit_times, baseline_times


def _format(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:9.1f} ms"
    return f"{value:9.1f} {unit}"


def report_line(measure: Measure) -> str:
    s = measure.summary()
    calls = "" if measure.provider_calls is None else f"  provider calls {measure.provider_calls}"
    if measure.baseline_provider_calls is not None:
        calls += f" (baseline {measure.baseline_provider_calls})"
    queries = "" if measure.sql_queries is None else f"  SQL {measure.sql_queries}"
    line = (
        f"{measure.name:<34} conduit {_format(s['conduit_median'], measure.unit)}  "
        f"baseline {_format(s['baseline_median'], measure.unit)}  "
        f"ratio {s['ratio_median']:5.2f} ({s['ratio_min']:.2f}-{s['ratio_max']:.2f})"
        f"{calls}{queries}"
    )
    notes = measure.notes
    if "list_calls" in notes:
        exact = "exactly" if notes["list_calls"] == notes["ideal_list_calls"] else "NOT"
        line += (f"\n{'':<34} list calls {notes['list_calls']}: {exact} "
                 f"ceil({notes['tasks']} / page size) = {notes['ideal_list_calls']}")
    if "grants_per_account" in notes:
        line += (
            f"\n{'':<34} {notes['conduit_per_second']:.0f} refreshes/s against "
            f"{notes['baseline_per_second']:.0f}/s bare; grants per account "
            f"{', '.join(f'{value:g}' for value in notes['grants_per_account'])}; all refreshed "
            f"before expiry: {all(run['all_before_expiry'] for run in notes['runs'])}"
        )
    return line


class Results:
    """Appends one JSON line per measure to bench/results/<run>.jsonl and prints its line."""

    def __init__(self, *, mode: str) -> None:
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.mode = mode
        RESULTS_DIR.mkdir(exist_ok=True)
        self.path = RESULTS_DIR / f"{self.run_id}-{mode}.jsonl"
        self.measures: list[Measure] = []

    def add(self, measure: Measure) -> None:
        self.measures.append(measure)
        line = {
            "run": self.run_id,
            "mode": self.mode,
            "host": platform.node(),
            "python": platform.python_version(),
            **asdict(measure),
            **measure.summary(),
        }
        with self.path.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        print(report_line(measure), flush=True)
