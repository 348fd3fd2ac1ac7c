"""How long `leads report` takes on many generated conversations (README, "Conversation report").

    .venvs/actions/bin/python -m bench.report_timing                      # 100,000 conversations, SQLite
    .venvs/actions/bin/python -m bench.report_timing --database postgresql --conversations 20000

Writes the conversations with bench/report_data.py into throw-away stores (a temporary directory, or a
throw-away PostgreSQL database from bench/postgres.py), then runs the real command
(`python -m integrations.leads.cli report`) once per format and prints the seconds each took (wall clock,
and CPU time, which other work on the machine barely moves).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.report_data import generate
from integrations.store.migrate import upgrade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--formats", default="html,json,csv", help="comma-separated (default html,json,csv)")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="report-bench-")))
        if args.database == "postgresql":
            from bench.postgres import throwaway_database

            tracker = stack.enter_context(throwaway_database("report_tracker"))
            store = stack.enter_context(throwaway_database("report_leads"))
        else:
            tracker, store = f"sqlite:///{folder / 'tracker.db'}", f"sqlite:///{folder / 'leads.db'}"
        upgrade(store)
        started = time.perf_counter()
        truth = generate(tracker, store, args.conversations)
        written = time.perf_counter() - started
        print(f"wrote {truth.conversations:,} conversations ({truth.leads:,} leads) in {written:.1f} s", flush=True)
        env = {**os.environ, "DATABASE_URL": store, "TRACKER_DB_URL": tracker, "LEADBOT_ENV_FILE": os.devnull}
        for kind in args.formats.split(","):
            output = folder / f"report.{kind}"
            command = [
                sys.executable,
                "-m",
                "integrations.leads.cli",
                "report",
                "--format",
                kind,
                "--output",
                str(output),
            ]
            started, cpu = time.perf_counter(), _children_cpu()
            subprocess.run(command, env=env, check=True, capture_output=True)
            seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
            print(
                f"leads report --format {kind}: {seconds:.1f} s ({cpu:.1f} s of CPU) for {args.conversations:,} "
                f"conversations on {args.database} ({output.stat().st_size:,} bytes)",
                flush=True,
            )
    return 0


def _children_cpu() -> float:
    """CPU seconds of the finished commands (user and system): the figure other work on the machine barely moves."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
