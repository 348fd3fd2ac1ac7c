"""The webhook secret from set-up to start-up: the first `make run` writes a Standard Webhooks secret into `.env`
(scripts/ensure_env.py), and the stack refuses to start with a plain one, saying how to make one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import standardwebhooks
from dotenv import dotenv_values, set_key

from integrations.outbox.channels.webhook import NEW_SECRET_COMMAND, new_secret, secret_bytes, sign
from integrations.runtime.env_file import ensure_env
from integrations.runtime.stack import Stack, StackConfig


def test_the_first_run_writes_a_secret_the_reference_library_accepts(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    ensure_env(env)
    secret = dotenv_values(env)["WEBHOOK_SECRET"]
    assert secret.startswith("whsec_") and len(secret_bytes(secret)) == 32
    body, now = b'{"type":"lead.qualified"}', int(time.time())
    headers = {"webhook-id": "m1", "webhook-timestamp": str(now), "webhook-signature": sign(secret, "m1", now, body)}
    assert standardwebhooks.Webhook(secret).verify(body, headers) == {"type": "lead.qualified"}
    assert not dotenv_values(env).get("WEBHOOK_URL")  # the webhook itself stays off until a receiver is set


def test_a_secret_already_in_env_is_kept(tmp_path: Path) -> None:
    """Its receiver holds the same value; a new one would make every delivery fail."""
    env = tmp_path / ".env"
    ensure_env(env)
    mine = new_secret()
    set_key(str(env), "WEBHOOK_SECRET", mine, quote_mode="never")
    ensure_env(env)
    assert dotenv_values(env)["WEBHOOK_SECRET"] == mine


def test_a_plain_secret_stops_the_start_before_any_process(tmp_path: Path) -> None:
    config = StackConfig(state_dir=tmp_path, extra_env={"WEBHOOK_SECRET": "our shared secret"})
    stack = Stack(config, log_dir=tmp_path / "logs")
    with pytest.raises(RuntimeError, match=r"WEBHOOK_SECRET in \.env must be a Standard Webhooks secret") as caught:
        stack.start(timeout=5)
    assert NEW_SECRET_COMMAND in str(caught.value)
    assert "our shared secret" not in str(caught.value)
    assert stack.processes == {}


def test_a_whsec_secret_passes_the_start_up_check(tmp_path: Path) -> None:
    Stack(StackConfig(state_dir=tmp_path, extra_env={"WEBHOOK_SECRET": new_secret()})).check_settings()
    Stack(StackConfig(state_dir=tmp_path, extra_env={"WEBHOOK_SECRET": ""})).check_settings()  # none: no webhook
