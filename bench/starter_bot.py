"""Plain Rasa's starter bot (`rasa init`), trained once and cached, and run as a REST server for comparison.

Used by the load benchmark (bench/load/compare.py). The starter project ships inside the rasa package
(`rasa/cli/initial_project`), so nothing is downloaded. `rasa init --no-prompt` copies it and trains
a model at once; the project with its model is kept in var/bench/starter/<key>/, where the key is
a hash of the starter's config, domain and training data and of the Rasa version, so reruns reuse
the model and its recorded training time instead of retraining.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests
import yaml

from integrations.runtime.stack import RASA_BIN, ROOT, Stack, die_with_parent

RASA_VENV = ROOT / ".venvs" / "rasa"
CACHE = ROOT / "var" / "bench" / "starter"
TRAINING_FILES = ("config.yml", "domain.yml", "data/nlu.yml", "data/rules.yml", "data/stories.yml")
# Files `rasa init` copies unchanged; training writes the auto-configured pipeline into config.yml as comments.
COPIED_AS_IS = TRAINING_FILES[1:]

# The sad path of the starter's data/stories.yml ("sad path 1") and its goodbye rule.
CONVERSATION = ("hello", "I am sad", "yes", "bye")
FINAL_REPLY = "Bye"


@dataclass(frozen=True)
class StarterModel:
    project: Path
    model: Path
    train_seconds: float
    trained_now: bool
    has_custom_actions: bool


def site_packages() -> Path:
    return next(RASA_VENV.glob("lib/python3*/site-packages"))


def template_dir() -> Path:
    return site_packages() / "rasa" / "cli" / "initial_project"


def rasa_version() -> str:
    dist = next(site_packages().glob("rasa-*.dist-info"))
    return dist.name.removeprefix("rasa-").removesuffix(".dist-info")


def training_key(project: Path, version: str) -> str:
    """A short hash of the files a model is trained from, and of the Rasa version."""
    digest = hashlib.sha256(version.encode())
    for name in TRAINING_FILES:
        digest.update(name.encode() + b"\0" + (project / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def has_custom_actions(project: Path) -> bool:
    """Whether the starter calls an action server (by default its actions.py is all comments)."""
    endpoints = yaml.safe_load((project / "endpoints.yml").read_text()) or {}
    return bool(endpoints.get("action_endpoint"))


def init_and_train(target: Path) -> float:
    """`rasa init --no-prompt` into a fresh folder (it trains at once); the wall time of the command."""
    partial = target.with_name(f"{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    started = time.monotonic()
    with open(partial.with_name(f"{target.name}.init.log"), "w") as log:
        subprocess.run(
            [str(RASA_BIN), "init", "--no-prompt", "--init-dir", str(partial)],
            cwd=partial, env=Stack.base_env(), stdout=log, stderr=subprocess.STDOUT, check=True, timeout=1800,
        )  # fmt: skip
    seconds = time.monotonic() - started
    changed = [name for name in COPIED_AS_IS if (partial / name).read_bytes() != (template_dir() / name).read_bytes()]
    if changed:
        raise RuntimeError(f"`rasa init` wrote other {', '.join(changed)} than {template_dir()}")
    partial.rename(target)
    return seconds


def ensure_model(cache: Path = CACHE) -> StarterModel:
    """The starter project and its trained model, training it only when no cached one matches."""
    version = rasa_version()
    key = training_key(template_dir(), version)
    project = cache / key
    record = project / "bench-train.json"
    trained_now = not record.exists()
    if trained_now:
        seconds = init_and_train(project)
        record.write_text(
            json.dumps(
                {
                    "train_seconds": round(seconds, 1),
                    "what": "wall time of `rasa init --no-prompt` (copies the starter, then `rasa train`)",
                    "rasa_version": version,
                    "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                },
                indent=2,
            )
        )
    # The starter's test stories are not needed to serve it, and `rasa test` run from our root would find them
    # (Rasa walks the whole tree for test_*.yml files), so the cached copy keeps none.
    shutil.rmtree(project / "tests", ignore_errors=True)
    models = sorted((project / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"no trained starter model in {project / 'models'}")
    return StarterModel(
        project=project,
        model=models[-1],
        train_seconds=json.loads(record.read_text())["train_seconds"],
        trained_now=trained_now,
        has_custom_actions=has_custom_actions(project),
    )


class StarterServer:
    """`rasa run --enable-api` for the starter on 127.0.0.1; a context manager that always stops it."""

    def __init__(self, starter: StarterModel, port: int, log_dir: Path) -> None:
        if starter.has_custom_actions:
            raise RuntimeError("the starter has custom actions; this benchmark expects the default starter")
        self.starter = starter
        self.port = port
        self.token = secrets.token_urlsafe(16)
        self.log_path = log_dir / "starter-rasa.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240.0) -> StarterServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [str(RASA_BIN), "run", "--enable-api", "--model", str(self.starter.model), "--port", str(self.port),
                 "--interface", "127.0.0.1", "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
                 f"--auth-token={self.token}"],
                cwd=self.starter.project, env=Stack.base_env(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=die_with_parent,
            )  # fmt: skip
        self._wait_loaded(timeout)
        return self

    def _wait_loaded(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None, "start() first"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the starter's Rasa exited with {self.process.returncode}; see {self.log_path}")
            try:
                status = requests.get(f"{self.url}/status", params={"token": self.token}, timeout=2)
                if status.ok and status.json().get("model_file"):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the starter's Rasa did not load its model in {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> StarterServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
