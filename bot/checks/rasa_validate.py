"""Rasa's own `rasa data validate`, its findings turned into problems with a file and a line."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from bot.checks.problems import Problem

COMMAND = ["data", "validate", "--domain", "bot/domain.yml", "--data", "bot/data", "--config", "config.yml"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WARNING_START = re.compile(r"UserWarning: (?P<message>.*)")
# Harmless for this project: rules drive the dialogue (no stories), and Rasa counts the retrieval intent
# `faq` once per response key.
IGNORED = ("is not used in any story", "duplicated intents have been found across multiple domain files: faq")
FIXES = (
    ("is not a valid utterance action", "Add a response named {name} under `responses:` in bot/domain.yml, "
     "or change the rule to a response that exists."),
    ("is not listed in your domain", "Add `- {name}` under `intents:` in bot/domain.yml, or fix the intent's name."),
    ("is not found in the NLU training data", "Give {name} examples in a file in bot/data/nlu, or remove it from "
     "`intents:`."),
    ("conflict", "Two rules expect different actions after the same conversation; make them agree."),
)  # fmt: skip
SEARCHED = ("bot/domain.yml", "bot/data", "config.yml")


def rasa_problems(root: Path, timeout: float = 300) -> list[Problem]:
    rasa = root / ".venvs" / "rasa" / "bin" / "rasa"
    if not rasa.exists():
        return [Problem("rasa data validate", None, f"Rasa is not installed at {rasa}", "Run `make envs` first.")]
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    run = subprocess.run(
        [str(rasa), *COMMAND], cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = ANSI.sub("", run.stdout + "\n" + run.stderr)
    problems = [_problem(root, message) for message in parse_warnings(output)]
    if run.returncode != 0 and not problems:
        tail = [line for line in output.splitlines() if line.strip() and "Warning" not in line][-6:]
        problems.append(
            Problem(
                "rasa data validate",
                None,
                "Rasa could not read the project: " + " ".join(tail),
                "Fix the problems above and run `make check` again; Rasa's last lines say which file it failed on.",
            )
        )
    return problems


def parse_warnings(output: str) -> list[str]:
    """The text of each UserWarning Rasa printed, without the ignored ones."""
    messages: list[str] = []
    current: list[str] | None = None
    for line in output.splitlines():
        match = WARNING_START.search(line)
        if match:
            current = [match.group("message").strip()]
            messages.append("")
        elif current is not None and line.startswith("  ") and not line.strip().startswith("More info"):
            current.append(line.strip())
        else:
            current = None
        if current is not None:
            messages[-1] = " ".join(current)
    return [message for message in messages if message and not any(ignored in message for ignored in IGNORED)]


def _problem(root: Path, message: str) -> Problem:
    names = re.findall(r"'([A-Za-z0-9_/]+)'", message)
    fix = next((text for pattern, text in FIXES if pattern in message), "See Rasa's explanation in the message.")
    file, line = _locate(root, names)
    return Problem(file, line, f"rasa data validate: {message}", fix.format(name=names[0] if names else "it"))


def _locate(root: Path, names: list[str]) -> tuple[str, int | None]:
    """First line of the project's files that mentions one of `names` (Rasa's messages carry no line)."""
    files: list[Path] = []
    for rel in SEARCHED:
        path = root / rel
        files += sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    for name in names:
        word = re.compile(rf"(?<![\w/]){re.escape(name)}(?![\w])")
        for path in files:
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if word.search(text):
                    return str(path.relative_to(root)), number
    return "rasa data validate", None
