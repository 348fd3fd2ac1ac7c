"""`python -m bench.load`: Rasa's interpreter if started with another, the options, then the compare or the
production mode, and the report. What each mode does: bench/load/__init__.py (also the --help text)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import bench.load
from bench.load.common import RASA_PYTHON, RESULTS, ROOT

DEFAULTS: dict[str, dict[str, Any]] = {
    "compare": {"concurrency": "1,10,50,100", "output": RESULTS / "load.json"},
    "production": {"concurrency": "10,50,100", "output": RESULTS / "load_production.json"},
}


def use_rasa_environment() -> None:
    """Re-run this command with Rasa's interpreter unless this one has aiohttp (and with it matplotlib and redis).

    Only here, in the entry point: importing any module of the package never replaces the process."""
    if importlib.util.find_spec("aiohttp") is None and RASA_PYTHON.exists():
        print(f"re-running with {RASA_PYTHON.relative_to(ROOT)} (it has aiohttp and matplotlib)", file=sys.stderr)
        os.execv(RASA_PYTHON, [str(RASA_PYTHON), "-m", "bench.load", *sys.argv[1:]])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=bench.load.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mode", choices=sorted(DEFAULTS), default="compare",
                        help="compare: ours against the starter; production: nginx + N instances")  # fmt: skip
    parser.add_argument("--concurrency", help="visitors at once, per level (default 1,10,50,100; production 10,50,100)")
    parser.add_argument("--bots", default="ours,starter", help="compare mode")
    parser.add_argument("--instances", default="1,2", help="production mode: Rasa and action servers behind nginx")
    parser.add_argument("--turns-per-visitor", type=int, default=24, help="level size: visitors x this many turns")
    parser.add_argument("--min-turns", type=int, default=240, help="more conversations per level to reach this")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per level and bot")
    parser.add_argument("--ramp-up", type=float, default=2.0, help="seconds over which visitors start")
    parser.add_argument("--our-train-seconds", type=float, help="default: read from var/train.log")
    parser.add_argument("--output", type=Path, help="default bench/results/load.json; production load_production.json")
    args = parser.parse_args(argv)
    defaults = DEFAULTS[args.mode]
    args.output = args.output or defaults["output"]
    args.levels = [int(value) for value in (args.concurrency or defaults["concurrency"]).split(",")]
    args.instance_counts = sorted({int(value) for value in args.instances.split(",")})
    if any(count < 1 for count in args.instance_counts) or any(level < 1 for level in args.levels):
        parser.error("instances and concurrency levels must be at least 1")
    args.bot_names = [name.strip() for name in args.bots.split(",")]
    unknown = set(args.bot_names) - {"ours", "starter"}
    if unknown:
        parser.error(f"unknown bots: {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    use_rasa_environment()
    args = parse_args()
    # Imported after the re-run: they need aiohttp, redis and matplotlib, which only Rasa's environment has.
    from bench.load import compare, production, record, report

    started = time.monotonic()
    command = shlex.join([os.path.relpath(sys.executable, ROOT), "-m", "bench.load", *sys.argv[1:]])
    results = record.start(args, command)
    if args.mode == "production":
        production.run(args, results)
    else:
        compare.run(args, results)
    results["duration_s"] = round(time.monotonic() - started, 1)
    image = report.write(results, args.output)
    print(f"\nwritten {args.output} and {image} in {results['duration_s']} s")


if __name__ == "__main__":
    main()
