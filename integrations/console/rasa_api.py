"""What the console changes in a conversation, all through Rasa's HTTP API (token-protected).

* take over: append `ConversationPaused` (`{"event": "pause"}`); Rasa predicts no action while the
  tracker is paused, and the chat channels keep the visitor's messages (integrations/rasa/takeover.py);
* a rep's message: append a `BotUttered` whose metadata names the rep, with
  `execute_side_effects=true&output_channel=socketio`, so the Rasa process sends it to the visitor's
  room at once and the tracker keeps it with the conversation;
* hand back: append `ConversationResumed` (`{"event": "resume"}`) and, when a form is active, run the
  action that asks its open question (`action_ask_<slot>` or `utter_ask_<slot>`), then
  `action_listen`, so the visitor's next message answers that question as before the takeover.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

TIMEOUT_SECONDS = 10.0
REP_NAME_KEY = "takeover_rep_name"  # the same keys as integrations/rasa/takeover.py
REP_MESSAGE_ID_KEY = "takeover_message_id"
REP_USERNAME_KEY = "takeover_rep"


class RasaError(Exception):
    """Rasa's HTTP API refused or could not be reached."""


@dataclass(frozen=True)
class RasaApi:
    url: str
    token: str | None
    output_channel: str = "socketio"

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, str] | None = None) -> Any:
        query = dict(params or {})
        if self.token:
            query["token"] = self.token
        url = self.url.rstrip("/") + path
        headers = {"Accept": "application/json"}  # GET /domain answers 406 without it
        try:
            answer = requests.request(method, url, json=json, params=query, headers=headers, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            raise RasaError(f"Rasa cannot be reached: {error}") from error
        if answer.status_code >= 300:
            raise RasaError(f"Rasa answered {answer.status_code}: {answer.text[:200]}")
        return answer.json() if answer.content else None

    @staticmethod
    def _conversation(conversation_id: str) -> str:
        return "/conversations/" + quote(conversation_id, safe="")

    def append(self, conversation_id: str, events: list[dict[str, Any]], side_effects: bool = False) -> Any:
        params = {"include_events": "NONE"}
        if side_effects:
            params.update(execute_side_effects="true", output_channel=self.output_channel)
        return self._call("POST", self._conversation(conversation_id) + "/tracker/events", events, params)

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        return self._call("GET", self._conversation(conversation_id) + "/tracker", params={"include_events": "NONE"})

    def domain_actions(self) -> set[str]:
        domain = self._call("GET", "/domain", params={})
        names = set(domain.get("actions") or [])
        names.update((domain.get("responses") or {}).keys())
        return names

    def pause(self, conversation_id: str) -> None:
        self.append(conversation_id, [{"event": "pause"}])

    def say(self, conversation_id: str, username: str, rep_name: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        event = {
            "event": "bot",
            "text": text,
            "metadata": {REP_NAME_KEY: rep_name, REP_MESSAGE_ID_KEY: message_id, REP_USERNAME_KEY: username},
        }
        self.append(conversation_id, [event], side_effects=True)
        return message_id

    def resume(self, conversation_id: str) -> str | None:
        """Resume the bot; returns the action that asked the open question again, if a form is active."""
        tracker = self.tracker(conversation_id)
        loop = (tracker.get("active_loop") or {}).get("name")
        slot = (tracker.get("slots") or {}).get("requested_slot")
        ask = self._ask_action(loop, slot) if isinstance(loop, str) and isinstance(slot, str) else None
        self.append(conversation_id, [{"event": "resume"}])
        if ask is None:
            return None
        self._call(
            "POST",
            self._conversation(conversation_id) + "/execute",
            {"name": ask},
            {"output_channel": self.output_channel, "include_events": "NONE"},
        )
        self.append(conversation_id, [{"event": "action", "name": "action_listen"}])
        return ask

    def _ask_action(self, loop: str, slot: str) -> str | None:
        """The action or response Rasa's form would run to ask `slot` (the same order as Rasa's)."""
        known = self.domain_actions()
        for name in (
            f"action_ask_{loop}_{slot}",
            f"action_ask_{slot}",
            f"utter_ask_{loop}_{slot}",
            f"utter_ask_{slot}",
        ):
            if name in known:
                return name
        return None
