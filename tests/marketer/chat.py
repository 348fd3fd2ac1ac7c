"""A visitor talking to a running copy through Rasa's REST channel, and what the HTTP API says about it."""

from __future__ import annotations

import uuid
from typing import Any

import requests


class Chat:
    def __init__(self, rasa_url: str, token: str) -> None:
        self.rasa_url, self.token = rasa_url, token
        self.id = f"marketer-{uuid.uuid4().hex[:12]}"
        self.replies: list[list[dict[str, Any]]] = []

    def say(self, text: str) -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": self.id, "message": text}, timeout=60
        )
        response.raise_for_status()
        replies = response.json()
        assert replies, f"the bot said nothing to {text!r}"
        self.replies.append(replies)
        return replies

    def text(self) -> str:
        return "\n".join(reply.get("text", "") for reply in self.replies[-1])

    def buttons(self) -> list[str]:
        return [button["title"] for reply in self.replies[-1] for button in reply.get("buttons") or []]

    def slots(self) -> dict[str, Any]:
        response = requests.get(
            f"{self.rasa_url}/conversations/{self.id}/tracker", params={"token": self.token}, timeout=30
        )
        response.raise_for_status()
        return response.json()["slots"]

    def asked(self) -> str | None:
        return self.slots().get("requested_slot")
