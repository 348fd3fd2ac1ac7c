"""Secrets and personal data are created for their owner only: files 0600, directories 0700."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from integrations.outbox.channels.local_log import LocalLogChannel
from integrations.private_files import private_dir, private_file
from integrations.runtime.env_file import ensure_env
from integrations.runtime.stack import ROOT, StackConfig, start_child, write_endpoints
from integrations.store.db import engine_for
from integrations.store.models import Notification


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_env_file_is_0600_new_or_old(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    ensure_env(env)
    assert mode(env) == 0o600 and "RASA_TOKEN=" in env.read_text()
    env.chmod(0o644)  # an .env from before the fix
    ensure_env(env)
    assert mode(env) == 0o600


def test_endpoints_and_tracker_database_are_0600_in_a_0700_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "var"
    config = StackConfig(state_dir=state, tracker_db=state / "tracker.db", action_token="secret-token")
    endpoints = write_endpoints(config)
    assert "secret-token" in endpoints.read_text()
    assert (mode(state), mode(endpoints), mode(state / "tracker.db")) == (0o700, 0o600, 0o600)


def test_the_lead_database_and_its_wal_are_0600(tmp_path: Path) -> None:
    database = tmp_path / "db" / "leads.db"
    engine = engine_for(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("INSERT INTO t VALUES ('ada@acme.example')"))
    files = [path for path in database.parent.iterdir() if path.name.startswith("leads.db")]
    assert any(path.name.endswith("-wal") for path in files), files
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    assert mode(database.parent) == 0o700
    engine.dispose()


def test_the_outbox_log_is_0600(tmp_path: Path) -> None:
    log = tmp_path / "var" / "outbox.log"
    notification = Notification(
        idempotency_key="k1",
        kind="sql_lead",
        conversation_id="c1",
        lead_id=1,
        created_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
        payload={"contact": {"email": "ada@acme.example"}},
    )
    LocalLogChannel(log).send(notification)
    assert json.loads(log.read_text())["contact"]["email"] == "ada@acme.example"
    assert (mode(log), mode(log.parent)) == (0o600, 0o700)


def test_an_existing_file_or_directory_is_tightened(tmp_path: Path) -> None:
    folder, path = tmp_path / "open", tmp_path / "open" / "data.txt"
    folder.mkdir(mode=0o755)
    path.write_text("x")
    path.chmod(0o644)
    private_file(path)
    assert (mode(folder), mode(path), path.read_text()) == (0o700, 0o600, "x")
    assert mode(private_dir(tmp_path / "a" / "b")) == 0o700


def test_the_stacks_processes_create_files_for_their_owner_only(tmp_path: Path) -> None:
    """Files that code not ours creates (Rasa's tracker store, its logs) are 0600 through the children's umask."""
    created = tmp_path / "by-child.txt"
    subprocess.run(
        [sys.executable, "-c", f"open({str(created)!r}, 'w').write('x')"],
        preexec_fn=start_child,
        check=True,
        cwd=ROOT,
        timeout=30,
    )
    assert mode(created) == 0o600
    assert os.umask(0o022) == 0o022  # the test process itself was not changed


def test_erasure_and_the_spool_replay_keep_their_files_private_whatever_the_umask(tmp_path: Path) -> None:
    """Both rewrite a JSON-lines file; `leads erase` runs with a shell's umask 022, which made it 0644."""
    from integrations.leads.local_files import scrub_jsonl
    from integrations.leads.mentions import Identifiers
    from integrations.spool import replay_spool

    log, spool = tmp_path / "outbox.log", tmp_path / "lead-spool.jsonl"
    for path, lines in ((log, ['{"conversation_id": "a", "text": "x"}', '{"conversation_id": "b"}']),
                        (spool, ['{"handoff": {"conversation_id": "c"}}'])):  # fmt: skip
        private_file(path).write_text("".join(line + "\n" for line in lines))
    previous = os.umask(0o022)
    try:
        erased = scrub_jsonl(
            log, lambda entry: entry.get("conversation_id") == "a", Identifiers.of([], [], []), apply=True
        )
        replay_spool(spool, store=lambda record: None)
    finally:
        os.umask(previous)
    assert erased.removed == 1 and log.read_text() == '{"conversation_id": "b"}\n'
    assert spool.read_text() == '{"handoff": {"conversation_id": "c"}}\n'  # kept: this caller stores leads only
    for path in (log, spool):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
