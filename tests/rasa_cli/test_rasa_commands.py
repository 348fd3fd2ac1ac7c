"""Rasa's own commands, run for real from the repository root the way a Rasa developer types them.

`rasa data validate`, `rasa train` (a model in models/ that `make run` then starts, being the newest),
`rasa test` without arguments, `make actions` (what `rasa run actions` would do) and `rasa shell` against it
through the root endpoints.yml, which takes the action server's port and token from the environment. Servers
listen on 127.0.0.1, on ports shifted by TEST_PORT_OFFSET; every command has a timeout.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.support.ports import port
from tests.support.terminal import Terminal

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venvs" / "rasa" / "bin" / "rasa"
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"
MODELS = ROOT / "models"
PROJECT_STORIES = ROOT / "tests" / "stories"
RASA_PORT, ACTIONS_PORT, WEB_PORT = port(15905), port(15955), port(18980)
SHELL_PORT = port(15906)

pytestmark = pytest.mark.skipif(not RASA.exists(), reason="no Rasa environment; run `make envs`")


def quiet_env(**extra: str) -> dict[str, str]:
    """The developer's environment, without Rasa's telemetry (nothing leaves this machine) and TensorFlow's chatter."""
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore", TQDM_DISABLE="1")
    env.update(extra)
    return env


def rasa(*args: str, timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RASA), *args], cwd=ROOT, env=env or quiet_env(), capture_output=True, text=True, timeout=timeout
    )


def story_names(path: Path) -> set[str]:
    return {story["story"] for story in (yaml.safe_load(path.read_text()) or {}).get("stories") or []}


@pytest.fixture(scope="module")
def trained_model() -> Iterator[Path]:
    """`rasa train` with no arguments from the root: config.yml, domain.yml, data/ (links into bot/), models/."""
    before = set(MODELS.glob("*.tar.gz"))
    result = rasa("train", timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [model] = set(MODELS.glob("*.tar.gz")) - before
    yield model
    model.unlink(missing_ok=True)  # the developer's models/ keeps only what it had


def test_rasa_data_validate_from_the_root() -> None:
    result = rasa("data", "validate", timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Validating intents" in result.stdout + result.stderr


def test_rasa_train_from_the_root_writes_a_model_to_models(trained_model: Path) -> None:
    assert trained_model.parent == MODELS and trained_model.stat().st_size > 100_000


def test_make_run_starts_the_newest_model(trained_model: Path, tmp_path: Path) -> None:
    """A model from plain `rasa train` is the newest in models/, so `make run` serves it (not leadbot.tar.gz)."""
    token = secrets.token_urlsafe(16)
    env = quiet_env(
        RASA_PORT=str(RASA_PORT), ACTIONS_PORT=str(ACTIONS_PORT), WEB_PORT=str(WEB_PORT), RASA_TOKEN=token,
        DATABASE_URL=f"sqlite:///{tmp_path / 'leads.db'}", OUTBOX_LOG=str(tmp_path / "outbox.log"),
    )  # fmt: skip
    log = open(tmp_path / "make-run.log", "w+")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while "Ready in" not in (tmp_path / "make-run.log").read_text():
            assert process.poll() is None, (tmp_path / "make-run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "make run was not ready in 600 s"
            time.sleep(1)
        output = (tmp_path / "make-run.log").read_text()
        assert f"model: models/{trained_model.name} (the newest in models/)" in output
        status = requests.get(f"http://127.0.0.1:{RASA_PORT}/status", params={"token": token}, timeout=10).json()
        assert Path(status["model_file"]).name == trained_model.name
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as a developer stops it
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert "stopped." in (tmp_path / "make-run.log").read_text()


def test_rasa_test_without_arguments_runs_the_project_stories(trained_model: Path) -> None:
    """Every recorded conversation in tests/stories is evaluated and passes (on the newest model)."""
    out = ROOT / "results"
    (out / "failed_test_stories.yml").unlink(missing_ok=True)
    result = rasa("test", timeout=1800)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert (out / "story_report.json").exists() and json.loads((out / "story_report.json").read_text())
    failed = (out / "failed_test_stories.yml").read_text() if (out / "failed_test_stories.yml").exists() else ""
    project = set().union(*(story_names(path) for path in PROJECT_STORIES.glob("test_*.yml")))
    assert len(project) >= 7
    source = f"{PROJECT_STORIES.relative_to(ROOT)}/"  # how Rasa names a failed story's file
    assert [line for line in failed.splitlines() if source in line] == []  # each of the project's stories passed
    evaluated = [int(line.split("Evaluating ")[1].split()[0]) for line in log.splitlines() if "Evaluating " in line]
    # exactly the project's stories: none of the starter bot's inside .venvs/, none of tests/marketer's fixtures
    assert evaluated and evaluated[0] == len(project), log[-3000:]
    assert "./var/" not in failed  # no leftovers of the benchmarks (bench/starter_bot.py keeps no test stories)


@pytest.fixture()
def action_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`make actions` on its own port with its own token and lead database, as a developer starts it."""
    token = secrets.token_urlsafe(16)
    env = quiet_env(
        ACTIONS_PORT=str(ACTIONS_PORT), ACTION_SERVER_TOKEN=token, DATABASE_URL=f"sqlite:///{tmp_path / 'leads.db'}",
        OUTBOX_LOG=str(tmp_path / "outbox.log"),
    )  # fmt: skip
    log_path = tmp_path / "make-actions.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "actions"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{ACTIONS_PORT}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "make actions did not answer /health in 180 s"
            time.sleep(0.5)
        yield token, log_path
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_make_actions_serves_the_actions_and_checks_the_token(action_server: tuple[str, Path]) -> None:
    token, log = action_server
    url = f"http://127.0.0.1:{ACTIONS_PORT}"
    assert requests.post(f"{url}/webhook", json={"next_action": "action_greet_if_first"}, timeout=5).status_code == 401
    actions = requests.get(f"{url}/actions", headers={"X-Action-Token": token}, timeout=5).json()
    assert {"name": "action_greet_if_first"} in actions and {"name": "validate_qualification_form"} in actions
    assert f"action server on http://127.0.0.1:{ACTIONS_PORT}/webhook, X-Action-Token required" in log.read_text()


def test_rasa_shell_talks_to_the_action_server_through_the_root_endpoints(action_server: tuple[str, Path]) -> None:
    """The qualification form's first question needs the action server (its validation action): it only
    comes when Rasa sends the token that `${ACTION_SERVER_TOKEN}` in the root endpoints.yml carries."""
    token, log = action_server
    env = quiet_env(ACTIONS_PORT=str(ACTIONS_PORT), ACTION_SERVER_TOKEN=token)  # what `. ./.env` exports
    with Terminal([str(RASA), "shell", "--port", str(SHELL_PORT)], cwd=ROOT, env=env) as shell:
        shell.expect("Your input ->", timeout=600)
        shell.type("/request_demo")
        shell.expect("What would you like to solve?", timeout=120)
        # the question comes with quick replies, which rasa shell offers as a menu; leaving ends the shell
    assert "refused an action call" not in log.read_text()
