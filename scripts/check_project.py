"""`make check`: validate every file a marketer edits, and explain each mistake with file, line and fix.

    .venvs/rasa/bin/python scripts/check_project.py            # everything, including `rasa data validate`
    .venvs/rasa/bin/python scripts/check_project.py --no-rasa  # the project's own checks only (1-2 s)

Checks: each file against its schema (bot/checks/schemas), the references between them (questions,
answers, points, stages, responses, intents, reps), duplicate training examples, and Rasa's own
validation. Exits 1 when there is an error; warnings are printed but do not fail.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bot.checks.problems import errors  # noqa: E402
from bot.checks.runner import check_project  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="project to check (default: this one)")
    parser.add_argument("--no-rasa", action="store_true", help="skip `rasa data validate` (saves about 10 s)")
    args = parser.parse_args(argv)
    problems = check_project(args.root.resolve(), with_rasa=not args.no_rasa)
    for problem in problems:
        print(problem.render())
    failed = errors(problems)
    if failed:
        warnings = len(problems) - len(failed)
        print(
            f"\n{len(failed)} error(s)"
            + (f", {warnings} warning(s)" if warnings else "")
            + ": fix them and run `make check` again."
        )
        return 1
    print("All marketer files are valid." + (f" ({len(problems)} warning(s) above.)" if problems else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
