"""python-socketio's own client holds a whole conversation with the socketio channel, as any standard client would.

Only Rasa's standard events are used (`session_request`/`session_confirm`, `user_uttered`/`bot_uttered`;
no `message_id`, which is the widget's extension), over long-polling and over WebSocket, with the
Origin header a browser on an allowed page would send. From an origin not in ALLOWED_ORIGINS the
connection is refused on both transports.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
import requests
import socketio

from bench.conversations import SQL_ANSWERS
from integrations.runtime.stack import Stack
from tests.support.leads import lead_rows

WAIT_SECONDS = 30.0
UNLISTED = ("http://evil.example", "http://127.0.0.2:18099", "https://localhost")
PAGE = "https://www.acme.example/pricing?utm_source=socketio-test"


def allowed_origin(stack: Stack) -> str:
    return stack.config.allowed_origins[0]


class StandardClient:
    """A python-socketio client that speaks Rasa's events, sending `origin` as its Origin header."""

    def __init__(self, origin: str) -> None:
        # websocket-client would add an Origin of its own (the server's); only ours is sent
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        self.origin = origin
        self.session_id: str | None = None
        self.replies: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self.sio.on("session_confirm", self._confirmed)
        self.sio.on("bot_uttered", self._uttered)

    def _confirmed(self, session_id: Any) -> None:
        with self.arrived:
            self.session_id = session_id
            self.arrived.notify_all()

    def _uttered(self, data: Any) -> None:
        with self.arrived:
            self.replies.append(data if isinstance(data, dict) else {"text": str(data)})
            self.arrived.notify_all()

    def connect(self, url: str, transport: str) -> None:
        self.sio.connect(url, headers={"Origin": self.origin}, transports=[transport], wait_timeout=WAIT_SECONDS)

    def start_session(self, session_id: str) -> None:
        self.sio.emit("session_request", {"session_id": session_id})
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.session_id is not None, WAIT_SECONDS), "no session_confirm"
        assert self.session_id == session_id

    def say(self, message: str, expected: str, metadata: dict[str, str] | None = None) -> list[str]:
        """Send one message; wait for a reply containing `expected`; the texts of the replies to it."""
        before = len(self.replies)
        data: dict[str, Any] = {"message": message, "session_id": self.session_id}
        if metadata:
            data["metadata"] = metadata
        self.sio.emit("user_uttered", data)

        def answered() -> bool:
            return any(expected in (reply.get("text") or "") for reply in self.replies[before:])

        with self.arrived:
            ok = self.arrived.wait_for(answered, WAIT_SECONDS)
        texts = [reply.get("text") or "" for reply in self.replies[before:]]
        assert ok, f"no reply with {expected!r} to {message!r}; got {texts}"
        return texts

    def close(self) -> None:
        self.sio.disconnect()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_a_standard_client_from_an_allowed_origin_holds_a_whole_conversation(stack: Stack, transport: str) -> None:
    client = StandardClient(allowed_origin(stack))
    session_id = f"sio-{transport}-{uuid.uuid4().hex[:10]}"
    email = f"sio.{uuid.uuid4().hex[:8]}@globex.com"
    try:
        client.connect(stack.config.rasa_url, transport)
        assert client.sio.transport() == transport
        client.start_session(session_id)
        greeting = client.say("/greet", "I'm Ada", metadata={"page_url": PAGE, "utm_source": "socketio-test"})
        assert any(reply.get("quick_replies") or reply.get("buttons") for reply in client.replies), greeting
        steps = zip(
            (*SQL_ANSWERS, "Maria Lopez", email, "Globex Inc", "skip", "yes"),
            (
                "What would you like to solve?",
                "What's your role",
                "Is there a budget",
                "When would you like",
                "What's your name?",
                "business email",
                "Which company",
                "phone number",
                "May we store these details",
                "calendar",
            ),
            strict=True,
        )
        for message, expected in steps:
            client.say(message, expected)
        assert client.sio.transport() == transport  # the whole conversation on that transport
    finally:
        client.close()

    deadline = time.monotonic() + 10
    while not (rows := lead_rows(stack, conversation_id=session_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [(row.stage, row.email) for row in rows] == [("SQL", email)]
    assert rows[0].source.get("page_url") == PAGE
    assert rows[0].source.get("utm_source") == "socketio-test"


@pytest.mark.parametrize("transport", ["polling", "websocket"])
@pytest.mark.parametrize("origin", UNLISTED)
def test_a_client_from_an_unlisted_origin_is_refused(stack: Stack, transport: str, origin: str) -> None:
    client = StandardClient(origin)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(stack.config.rasa_url, transport)
    assert not client.sio.connected
    client.close()


def test_engineio_names_the_refused_origin(stack: Stack) -> None:
    """The refusal is engineio's origin check (HTTP 400 before any session exists), not some other failure."""
    url = f"{stack.config.rasa_url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(url, headers={"Origin": "http://evil.example"}, timeout=10)
    assert refused.status_code == 400, refused.text
    assert "http://evil.example is not an accepted origin" in refused.text
    assert "Access-Control-Allow-Origin" not in refused.headers
    allowed = requests.get(url, headers={"Origin": allowed_origin(stack)}, timeout=10)
    assert allowed.status_code == 200 and allowed.text.startswith("0{"), allowed.text
    # one Access-Control-Allow-Origin (Rasa's --cors); a second one from engineio would make browsers refuse it
    assert allowed.raw.headers.getlist("Access-Control-Allow-Origin") == [allowed_origin(stack)]
