"""The P4 curve: seconds to refresh N expiring accounts, measured and extrapolated, as a PNG."""

from __future__ import annotations

from pathlib import Path

from bench.harness import Measure

TARGETS = (1_000, 10_000, 100_000)


def p4_plot(measures: list[Measure], path: Path) -> Path:
    """Draw Conduit and the bare baseline against the 10-minute window and the hour.

    Points beyond the largest measured size are extrapolated at the best measured rate
    (linear: the sweep is a queue drained at a steady rate), drawn dashed and labelled so.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    measured = sorted(measures, key=lambda m: m.notes["accounts"])
    largest = measured[-1].notes["accounts"]
    conduit_rate = max(m.notes["conduit_per_second"] for m in measured)
    baseline_rate = max(m.notes["baseline_per_second"] for m in measured)
    sizes = sorted({*TARGETS, *(m.notes["accounts"] for m in measured)})
    extrapolated = [n for n in sizes if n > largest]

    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    xs = [m.notes["accounts"] for m in measured]
    axes.plot(xs, [min(m.conduit) for m in measured], "o-", color="tab:red",
              label="Conduit sweep + worker (measured)")
    axes.plot(xs, [min(m.baseline) for m in measured], "o-", color="tab:blue",
              label="bare HTTP refresh calls (measured)")
    if extrapolated:
        edge = [largest, *extrapolated]
        axes.plot(edge, [n / conduit_rate for n in edge], "--", color="tab:red",
                  label=f"Conduit, extrapolated at {conduit_rate:.0f}/s")
        axes.plot(edge, [n / baseline_rate for n in edge], "--", color="tab:blue",
                  label=f"bare, extrapolated at {baseline_rate:.0f}/s")
    axes.axhline(600, color="black", linewidth=0.8)
    axes.text(sizes[0], 650, "10-minute refresh window", fontsize=8)
    axes.axhline(3600, color="black", linewidth=0.8, linestyle="-.")
    axes.text(sizes[0], 3900, "1 hour", fontsize=8)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("accounts with tokens expiring")
    axes.set_ylabel("seconds until all are refreshed")
    workers = measured[-1].notes["workers"]
    note = (f"measured up to {largest:,} accounts; beyond that extrapolated "
            "(this machine cannot hold the run)" if extrapolated else "all points measured")
    axes.set_title(f"P4 refresh sweep, {workers} worker processes, TLS sandbox\n{note}",
                   fontsize=10)
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
