"""Real stacks for tests: Rasa, action server and dispatcher on their own ports and temporary files."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from integrations.runtime.stack import MODEL, ROOT, Stack, StackConfig
from integrations.store.migrate import upgrade


def isolated_config(
    state: Path, rasa_port: int, actions_port: int, web_port: int, extra_env: dict[str, str] | None = None
) -> StackConfig:
    """A stack configuration whose databases, outbox log and endpoints all live in `state`."""
    return StackConfig(
        rasa_port=rasa_port,
        actions_port=actions_port,
        web_port=web_port,
        rasa_token=secrets.token_urlsafe(16),
        action_token=secrets.token_urlsafe(16),
        database_url=f"sqlite:///{state / 'leads.db'}",
        tracker_db=state / "tracker.db",
        outbox_log=state / "outbox.log",
        state_dir=state,
        # the action server redacts declined-consent conversations in this tracker store
        extra_env={
            "TRACKER_DB_URL": f"sqlite:///{state / 'tracker.db'}",
            "TRANSCRIPT_LINK_SECRET": secrets.token_urlsafe(32),
            # every test visitor comes from 127.0.0.1, one client; the per-client limit has its own test
            "HANDOFF_PER_CLIENT_PER_HOUR": "1000",
            **(extra_env or {}),
        },
    )


@contextmanager
def running_stack(config: StackConfig, logs: str, web: bool = False) -> Iterator[Stack]:
    """Migrate the lead store, start the stack with the trained model, and always stop it."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}; run `make train` first")
    upgrade(config.database_url)
    stack = Stack(config, log_dir=ROOT / "tests" / "reports" / "logs" / logs, web=web)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
