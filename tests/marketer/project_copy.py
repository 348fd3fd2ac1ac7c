"""A throw-away copy of the project to edit the way a marketer would, check, train and run."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "marketers.md"
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"
# Shared by every run, so retraining a copy whose files did not change is a cache hit.
RASA_CACHE = ROOT / "var" / "marketer-tests" / "rasa-cache"
LEFT_OUT = {".venvs", "models", "var", ".git", ".rasa", ".env", ".pytest_cache", ".ruff_cache", "__pycache__"}
RECIPE_MARK = re.compile(r"<!-- recipe: (?P<file>\S+) \| (?P<how>.+?) -->\n```yaml\n(?P<body>.*?)```", re.DOTALL)
TRAIN = [
    "train",
    "--config",
    "config.yml",
    "--domain",
    "bot/domain.yml",
    "--data",
    "bot/data",
    "--out",
    "models",
    "--fixed-model-name",
    "leadbot",
]  # fmt: skip  (the same command as `make train`)


def copy_project(destination: Path) -> Path:
    """Copy the repository without environments, models, local state and reports; link the environments."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        left_out = {name for name in names if name in LEFT_OUT}
        if Path(directory) == ROOT / "tests":
            left_out.add("reports")
        return left_out

    shutil.copytree(ROOT, destination, ignore=ignore, symlinks=True)
    (destination / ".venvs").symlink_to(ROOT / ".venvs")
    (destination / "var").mkdir(exist_ok=True)
    return destination


@dataclass(frozen=True)
class Edit:
    """Where an edit landed: the file and the 1-based line a checker should point at."""

    file: str
    line: int


def insert_after(root: Path, rel: str, anchor: str, text: str, after: int = 0) -> Edit:
    """Insert `text` after the first line below line `after` equal to `anchor` (indentation included)."""
    path = root / rel
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if i >= after and line.rstrip("\n") == anchor)
    lines[index + 1 : index + 1] = [text if text.endswith("\n") else text + "\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return Edit(rel, index + 2)


def replace_once(root: Path, rel: str, old: str, new: str) -> Edit:
    """Replace the one occurrence of `old`; the edit's line is where it starts."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    start = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return Edit(rel, text[:start].count("\n") + 1)


def line_of(root: Path, rel: str, exact: str, after: int = 0) -> int:
    """1-based number of the first line after line `after` equal to `exact` once stripped."""
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if number > after and line.strip() == exact)


def recipe_blocks(guide: Path = GUIDE) -> list[tuple[str, str, str]]:
    """(file, how, yaml) for each block of docs/marketers.md marked `<!-- recipe: FILE | HOW -->`."""
    return [(m["file"], m["how"], m["body"]) for m in RECIPE_MARK.finditer(guide.read_text(encoding="utf-8"))]


def apply_recipe(root: Path, guide: Path = GUIDE) -> list[str]:
    """Apply the guide's "Adding a question" blocks exactly as written; returns the files touched."""
    touched = []
    for rel, how, body in recipe_blocks(guide):
        path = root / rel
        if how == "new file":
            assert not path.exists(), f"{rel} exists already"
            path.write_text(body, encoding="utf-8")
        elif how == "append":
            text = path.read_text(encoding="utf-8")
            path.write_text(text + ("" if text.endswith("\n") else "\n") + body, encoding="utf-8")
        elif how.startswith("after: "):
            insert_after(root, rel, how.removeprefix("after: "), body)
        else:
            raise ValueError(f"unknown recipe step {how!r} for {rel}")
        touched.append(rel)
    return touched


def run_check(root: Path, rasa: bool = False) -> subprocess.CompletedProcess[str]:
    """The copy's own `make check` (its scripts/check_project.py, in the Rasa environment)."""
    command = [str(RASA_PYTHON), str(root / "scripts" / "check_project.py")] + ([] if rasa else ["--no-rasa"])
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, check=False)


def train(root: Path) -> float:
    """`make train`'s command in the copy, with the shared cache; returns the seconds it took."""
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(RASA_CACHE), "TF_CPP_MIN_LOG_LEVEL": "3", "TQDM_DISABLE": "1"}
    RASA_CACHE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log = root / "var" / "train.log"
    with open(log, "w") as output:
        done = subprocess.run(
            [str(ROOT / ".venvs" / "rasa" / "bin" / "rasa"), *TRAIN], cwd=root, env=env, stdout=output,
            stderr=subprocess.STDOUT, timeout=900, check=False,
        )  # fmt: skip
    assert done.returncode == 0, f"training failed:\n{log.read_text()[-3000:]}"
    return time.monotonic() - started


def stack_module(root: Path) -> ModuleType:
    """The copy's integrations/runtime/stack.py, so its processes run from the copy (its files, its code)."""
    name = f"stack_copy_{abs(hash(root))}"
    spec = importlib.util.spec_from_file_location(name, root / "integrations" / "runtime" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def copy_config(stack: ModuleType, root: Path, **overrides: Any) -> Any:
    """The copy's StackConfig: free ports, a random token, databases and the outbox log in the copy's var/."""
    state = root / "var"
    values: dict[str, Any] = dict(
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        rasa_token=secrets.token_urlsafe(16),
        database_url=f"sqlite:///{state / 'leads.db'}",
        tracker_db=state / "tracker.db",
        outbox_log=state / "outbox.log",
        state_dir=state,
    )
    return stack.StackConfig(**(values | overrides))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
