"""requirements/actions.lock is complete: an environment built from it alone migrates the store and serves actions.

docs/production.md builds the action server's image from actions.lock only; a package that only dev.lock
brings (a test tool's dependency) would make that image fail at start-up, so this builds one for real.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import ROOT
from tests.support.ports import port

UV = ROOT / ".venvs" / "tools" / "bin" / "uv"


def run(*command: str | Path, cwd: Path = ROOT, timeout: float = 600) -> None:
    subprocess.run([str(part) for part in command], cwd=cwd, check=True, timeout=timeout, capture_output=True)


def test_action_server_and_migrations_run_from_actions_lock_alone(tmp_path: Path) -> None:
    venv = tmp_path / "actions-only"
    run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    run(UV, "pip", "sync", "--quiet", "--require-hashes", "--python", python, ROOT / "requirements" / "actions.lock")
    run(UV, "pip", "install", "--quiet", "--python", python, "--no-deps", "--no-build-isolation", "-e", ROOT)

    database = tmp_path / "leads.db"
    run(python, "-m", "integrations.store.migrate", f"sqlite:///{database}", cwd=tmp_path, timeout=120)
    assert database.is_file()

    actions_port = port(5756)
    env_file = tmp_path / ".env"
    env_file.write_text(f"ACTION_SERVER_TOKEN=only-the-lock\nDATABASE_URL=sqlite:///{database}\n")
    server = subprocess.Popen(
        [str(python), "-m", "integrations.action_server", "--actions", "bot.actions", "--port", str(actions_port)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LEADBOT_ENV_FILE": str(env_file), "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{actions_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                assert requests.get(f"{base}/health", timeout=2).status_code == 200
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    raise AssertionError(
                        f"the action server did not start:\n{server.communicate()[0][-3000:]}"
                    ) from None
                time.sleep(0.3)
        actions = requests.get(f"{base}/actions", headers={"X-Action-Token": "only-the-lock"}, timeout=10)
        assert actions.status_code == 200
        assert "action_qualify_lead" in {action["name"] for action in actions.json()}
    finally:
        server.terminate()
        server.wait(timeout=20)
