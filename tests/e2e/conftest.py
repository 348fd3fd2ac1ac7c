"""A real stack for end-to-end tests: trained model, Rasa server, action server, SQLite files."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integrations.runtime.stack import Stack
from tests.support.leads import lead_rows  # noqa: F401 - used by the e2e, fault and browser tests
from tests.support.ports import port
from tests.support.stacks import isolated_config, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = isolated_config(tmp_path_factory.mktemp("stack"), port(15005), port(15055), port(18080))
    with running_stack(config, "e2e") as running:
        yield running


class Visitor:
    """One website visitor talking to the bot through the REST channel."""

    def __init__(self, stack: Stack, conversation_id: str | None = None) -> None:
        self.stack = stack
        self.id = conversation_id or f"e2e-{uuid.uuid4().hex[:12]}"
        self.replies: list[list[dict[str, Any]]] = []

    def say(self, text: str, metadata: dict | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": self.id, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = requests.post(f"{self.stack.config.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        replies = response.json()
        assert replies, f"the bot said nothing to {text!r}"
        self.replies.append(replies)
        return replies

    def texts(self, replies: list[dict] | None = None) -> str:
        return "\n".join(reply.get("text", "") for reply in (replies if replies is not None else self.replies[-1]))

    def tracker(self) -> dict[str, Any]:
        response = requests.get(
            f"{self.stack.config.rasa_url}/conversations/{self.id}/tracker",
            params={"token": self.stack.config.rasa_token},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def slots(self) -> dict[str, Any]:
        return self.tracker()["slots"]

    def converse(self, *messages: str) -> list[dict[str, Any]]:
        for message in messages:
            self.say(message)
        return self.replies[-1]


@pytest.fixture()
def visitor(stack: Stack) -> Visitor:
    return Visitor(stack)


def outbox_entries(
    stack: Stack, conversation_id: str, expected: int = 1, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """The conversation's delivered notifications, waiting up to `timeout` for `expected` of them."""
    deadline = time.monotonic() + timeout
    while True:
        path = stack.config.outbox_log
        lines = path.read_text().splitlines() if path.exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        mine = [entry for entry in entries if entry["conversation_id"] == conversation_id]
        if len(mine) >= expected or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)
