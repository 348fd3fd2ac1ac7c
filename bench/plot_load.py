"""Plot turn latency (and, for the production mode, throughput) against concurrent visitors from bench/load/.

Usage: .venvs/rasa/bin/python -m bench.plot_load [bench/results/load.json | bench/results/load_production.json]
(bench/load/report.py calls `plot` / `plot_production` itself; this re-draws bench/results/load_latency.png, or
load_production.png for a production-mode run, from a saved run. Needs matplotlib, which is in Rasa's environment.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"
LABELS = {"ours": "lead assistant", "starter": "Rasa starter bot"}
COLOURS = {"ours": "tab:blue", "starter": "tab:orange"}


def plot(results: dict, path: Path) -> None:
    """p50 (solid) and p95 (dashed) per bot, log-scaled latency, one point per concurrency level."""
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    levels = sorted({level["concurrency"] for level in results["levels"]})
    for bot in dict.fromkeys(level["bot"] for level in results["levels"]):
        rows = sorted((level for level in results["levels"] if level["bot"] == bot), key=lambda row: row["concurrency"])
        x = [row["concurrency"] for row in rows]
        for share, style in (("p50", "-"), ("p95", "--")):
            y = [row["latency_ms"][share] for row in rows]
            axes.plot(x, y, style, marker="o", color=COLOURS.get(bot), label=f"{LABELS.get(bot, bot)} {share}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(levels)
    axes.set_xticklabels([str(level) for level in levels])
    axes.set_xlabel("concurrent visitors (no think time)")
    axes.set_ylabel("turn latency through the REST channel (ms)")
    machine = results["machine"]
    axes.set_title(f"Turn latency, {machine['cores']} cores, {results['date'][:10]}", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def plot_production(results: dict, path: Path) -> None:
    """Production mode: p50 (solid) and p95 (dashed) latency, and throughput, per instance count."""
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=120)
    levels = sorted({level["concurrency"] for level in results["levels"]})
    for number, instances in enumerate(sorted({level["instances"] for level in results["levels"]})):
        rows = [level for level in results["levels"] if level["instances"] == instances]
        rows.sort(key=lambda row: row["concurrency"])
        x = [row["concurrency"] for row in rows]
        colour = f"C{number}"
        label = f"{instances} Rasa + {instances} action server{'s' if instances > 1 else ''}"
        for share, style in (("p50", "-"), ("p95", "--")):
            latency.plot(x, [row["latency_ms"][share] for row in rows], style, marker="o", color=colour,
                         label=f"{label}, {share}")  # fmt: skip
        throughput.plot(x, [row["throughput_tps"] for row in rows], "-", marker="o", color=colour, label=label)
    for axes in (latency, throughput):
        axes.set_xscale("log")
        axes.set_xticks(levels)
        axes.set_xticklabels([str(level) for level in levels])
        axes.set_xlabel("concurrent visitors (no think time)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    latency.set_yscale("log")
    latency.set_ylabel("turn latency through nginx (ms)")
    throughput.set_ylim(bottom=0)
    throughput.set_ylabel("turns answered per second")
    machine = results["machine"]
    figure.suptitle(
        f"Production mode (nginx, PostgreSQL, Redis), {machine['cores']} cores, {results['date'][:10]}", fontsize=10
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "load.json"
    results = json.loads(source.read_text())
    if results.get("mode") == "production":
        target = source.with_suffix(".png")
        plot_production(results, target)
    else:
        target = source.with_name("load_latency.png")
        plot(results, target)
    print(f"written {target}")


if __name__ == "__main__":
    main()
