"""One real stack for the fault tests, on its own ports, and helpers to break and mend it."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from integrations.runtime.stack import MODEL, Stack, StackConfig
from integrations.store.migrate import upgrade
from tests.support.ports import port


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa, actions and dispatcher on ports 15605/15655; Sanic trusts one proxy hop (X-Forwarded-For)."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}; run `make train` first")
    state = tmp_path_factory.mktemp("faults")
    config = StackConfig(
        rasa_port=port(15605),
        actions_port=port(15655),
        web_port=port(18680),
        rasa_token=secrets.token_urlsafe(16),
        database_url=f"sqlite:///{state / 'leads.db'}",
        tracker_db=state / "tracker.db",
        outbox_log=state / "outbox.log",
        state_dir=state,
        extra_env={"SANIC_PROXIES_COUNT": "1"},
    )
    upgrade(config.database_url)
    running = Stack(config, log_dir=Path("tests/reports/logs/faults"), web=False)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def post(stack: Stack, sender: str, text: Any, headers: dict[str, str] | None = None) -> requests.Response:
    """One raw POST to the REST channel, whatever the answer's status."""
    return requests.post(
        f"{stack.config.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers=headers,
        timeout=200,
    )


def stop_process(stack: Stack, name: str) -> None:
    """Terminate one of the stack's processes (its whole process group) and wait for it."""
    process = stack.processes[name]
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ok(url: str, timeout: float = 120, params: dict[str, str] | None = None) -> None:
    """Wait until `url` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, params=params, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)
