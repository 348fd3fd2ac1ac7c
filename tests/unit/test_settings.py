"""One settings module: `.env.example` lists exactly its variables; entry points started directly read `.env`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from integrations import settings
from integrations.outbox.outbox import enqueue
from integrations.store.db import transaction
from integrations.store.migrate import upgrade
from integrations.store.models import Notification
from tests.conftest import ROOT
from tests.support.ports import port

ENV_EXAMPLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.M)
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"


def test_env_example_lists_exactly_the_settings() -> None:
    listed = set(ENV_EXAMPLE_LINE.findall((ROOT / ".env.example").read_text()))
    assert listed == set(settings.VARIABLES), {
        "in .env.example but not integrations/settings.py": sorted(listed - set(settings.VARIABLES)),
        "in integrations/settings.py but not .env.example": sorted(set(settings.VARIABLES) - listed),
    }


def test_environment_wins_over_env_file_and_empty_means_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OUTBOX_MAX_ATTEMPTS=3\nWEB_PORT=9999\nRASA_PORT=\n")
    monkeypatch.setenv(settings.ENV_FILE_VARIABLE, str(env_file))
    monkeypatch.setenv("WEB_PORT", "7000")
    for name in ("OUTBOX_MAX_ATTEMPTS", "RASA_PORT"):
        monkeypatch.delenv(name, raising=False)
    try:
        settings.load_env()
        assert settings.integer("OUTBOX_MAX_ATTEMPTS") == 3
        assert settings.integer("WEB_PORT") == 7000
        assert settings.integer("RASA_PORT") == 5005
    finally:  # load_env wrote into this process's environment
        for name in ("OUTBOX_MAX_ATTEMPTS", "RASA_PORT"):
            os.environ.pop(name, None)


@pytest.mark.parametrize("raw", ["three", "0", "-2"])
def test_a_bad_number_is_refused_with_its_name(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", raw)
    with pytest.raises(ValueError, match="OUTBOX_MAX_ATTEMPTS"):
        settings.Settings.from_env()


def child_env(env_file: Path, *names: str) -> dict[str, str]:
    """This process's environment without `names`, pointing the child at `env_file` as its `.env`."""
    env = {key: value for key, value in os.environ.items() if key not in names}
    env[settings.ENV_FILE_VARIABLE] = str(env_file)
    return env


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dispatcher_started_directly_takes_its_schedule_from_env_file(tmp_path: Path) -> None:
    """The reported defect: OUTBOX_MAX_ATTEMPTS=1 in .env used to give 8 tries in the worker."""
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    upgrade(url)
    with transaction(url) as session:
        enqueue(session, kind="handoff", conversation_id="c1", payload={"x": 1}, channels=["slack"])
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DATABASE_URL={url}\nOUTBOX_LOG={tmp_path / 'outbox.log'}\nOUTBOX_MAX_ATTEMPTS=1\n"
        f"SLACK_WEBHOOK_URL=http://127.0.0.1:{closed_port()}/hook\nLEAD_SPOOL={tmp_path / 'spool.jsonl'}\n"
    )
    names = ("DATABASE_URL", "OUTBOX_LOG", "OUTBOX_MAX_ATTEMPTS", "SLACK_WEBHOOK_URL", "LEAD_SPOOL", "RETENTION_DAYS")
    subprocess.run(
        [sys.executable, "-m", "integrations.outbox.worker", "--once"],
        cwd=tmp_path,
        env=child_env(env_file, *names),
        check=True,
        timeout=60,
        capture_output=True,
    )
    with transaction(url) as session:
        [notification] = session.scalars(select(Notification))
        assert (notification.status, notification.attempts) == ("dead", 1)


def test_migrations_started_directly_use_the_database_of_env_file(tmp_path: Path) -> None:
    database = tmp_path / "from-env-file.db"
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{database}\n")
    subprocess.run(
        [sys.executable, "-m", "integrations.store.migrate"],
        cwd=tmp_path,
        env=child_env(env_file, "DATABASE_URL"),
        check=True,
        timeout=60,
        capture_output=True,
    )
    assert database.is_file()


def test_action_server_started_directly_requires_the_token_of_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"ACTION_SERVER_TOKEN=from-the-env-file\nDATABASE_URL=sqlite:///{tmp_path / 'leads.db'}\n")
    actions_port = port(5755)
    server = subprocess.Popen(
        [sys.executable, "-m", "integrations.action_server", "--actions", "bot.actions", "--port", str(actions_port)],
        cwd=ROOT,
        env=child_env(env_file, "ACTION_SERVER_TOKEN", "SANIC_HOST"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{actions_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/health", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "the action server did not start"
                time.sleep(0.3)
        call = {"next_action": "action_qualify_lead", "sender_id": "c1", "tracker": {}, "domain": {}}
        assert requests.post(f"{base}/webhook", json=call, timeout=10).status_code == 401
        with_token = requests.post(
            f"{base}/webhook", json=call, headers={"X-Action-Token": "from-the-env-file"}, timeout=10
        )
        assert with_token.status_code != 401
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the Rasa environment (make envs)")
def test_rasa_process_reads_its_channel_limits_from_env_file(tmp_path: Path) -> None:
    """The Rasa entry point (integrations/rasa/server.py `main`) loads .env before the channels read their limits."""
    env_file = tmp_path / ".env"
    env_file.write_text("MAX_MESSAGE_CHARS=321\n")
    probe = (
        "from integrations.rasa import server, guards\n"
        "server.settings.load_env()\n"
        "print(guards.Limits.from_env().max_chars)\n"
    )
    out = subprocess.run(
        [str(RASA_PYTHON), "-c", probe],
        cwd=tmp_path,
        env=child_env(env_file, "MAX_MESSAGE_CHARS"),
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    assert out.split()[-1] == "321"


def test_relative_sqlite_paths_belong_to_the_project_and_others_stay() -> None:
    root = settings.PROJECT_ROOT
    assert settings.sqlite_absolute("sqlite:///var/leads.db") == f"sqlite:///{root / 'var/leads.db'}"
    assert (
        settings.sqlite_absolute("sqlite+pysqlite:///var/t.db?timeout=5")
        == f"sqlite+pysqlite:///{root}/var/t.db?timeout=5"
    )
    for unchanged in ("sqlite:////abs/leads.db", "sqlite:///:memory:", "sqlite://", "postgresql://h/db"):
        assert settings.sqlite_absolute(unchanged) == unchanged
