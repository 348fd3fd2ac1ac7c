"""`make help` lists every target of the Makefile, each with a one-line description."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# `name:` or `name: prerequisites` at the start of a line; not `NAME := value`, not `$(VARIABLE)/file:` rules
RULE = re.compile(r"^([a-z][a-z0-9_-]*)\s*:(?!=)", re.MULTILINE)
PHONY = re.compile(r"^\.PHONY\s*:(.*)$", re.MULTILINE)


def makefile_targets(text: str) -> set[str]:
    targets = set(RULE.findall(text))
    for names in PHONY.findall(text):
        targets.update(names.split())
    return targets


def help_lines() -> dict[str, str]:
    """Each `make NAME  description` line of `make help`, by target name."""
    output = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    described = {}
    for line in output.stdout.splitlines():
        match = re.match(r"^\s*make ([a-z][a-z0-9_-]*)\b(.*)$", line)
        if match:
            described[match.group(1)] = match.group(2).strip()
    return described


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_every_target_is_in_make_help_with_a_description() -> None:
    targets = makefile_targets((ROOT / "Makefile").read_text())
    assert {"run", "test", "help", "actions", "test-rasa-cli"} <= targets  # the parser finds real targets
    described = help_lines()
    assert sorted(targets - set(described)) == []
    assert sorted(name for name in targets if not described[name]) == []
    assert sorted(set(described) - targets) == []  # and it names no target that does not exist


def test_the_parser_sees_rules_phony_names_and_skips_variables() -> None:
    text = "X := 1\n$(MODEL): a b\n\tdo\nbuild: x\n.PHONY: clean\nclean:\n\trm\nlint-all:\n"
    assert makefile_targets(text) == {"build", "clean", "lint-all"}
