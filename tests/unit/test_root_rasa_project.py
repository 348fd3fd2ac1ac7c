"""The root as a Rasa project: endpoints.yml for Rasa's own commands, the copy `make run` writes, the newest model."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from integrations.runtime.stack import MODEL, ROOT, StackConfig, newest_model, write_endpoints


def test_the_root_endpoints_take_port_and_token_from_the_environment() -> None:
    """Plain (unquoted) ${...} values: Rasa substitutes environment variables in those only."""
    text = (ROOT / "endpoints.yml").read_text()
    assert "url: http://localhost:${ACTIONS_PORT}/webhook" in text
    assert "X-Action-Token: ${ACTION_SERVER_TOKEN}" in text
    action = yaml.safe_load(text)["action_endpoint"]
    assert action == {
        "url": "http://localhost:${ACTIONS_PORT}/webhook",
        "headers": {"X-Action-Token": "${ACTION_SERVER_TOKEN}"},
    }


def test_make_run_writes_its_own_port_and_token_and_no_placeholder(tmp_path: Path) -> None:
    with_token = StackConfig(
        state_dir=tmp_path / "a", tracker_db=tmp_path / "a.db", actions_port=6123, action_token="t0k"
    )
    action = yaml.safe_load(write_endpoints(with_token).read_text())["action_endpoint"]
    assert action == {"url": "http://127.0.0.1:6123/webhook", "headers": {"X-Action-Token": "t0k"}}
    without = StackConfig(state_dir=tmp_path / "b", tracker_db=tmp_path / "b.db", action_token="")
    assert "${" not in write_endpoints(without).read_text()


def test_the_newest_model_is_the_one_make_run_starts(tmp_path: Path) -> None:
    assert newest_model(tmp_path) == MODEL  # none yet: what `make train` will write
    older, newer = tmp_path / "leadbot.tar.gz", tmp_path / "20261202-101500-brave-fox.tar.gz"
    older.write_bytes(b"a")
    assert newest_model(tmp_path) == older
    time.sleep(0.05)  # coarser than a nanosecond: the file system's clock ticks every few milliseconds
    newer.write_bytes(b"b")
    (tmp_path / "notes.txt").write_text("not a model")
    assert newest_model(tmp_path) == newer
    time.sleep(0.05)
    older.write_bytes(b"retrained")  # `make train` rewrites leadbot.tar.gz: it is the newest again
    assert newest_model(tmp_path) == older
