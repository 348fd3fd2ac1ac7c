"""A socketio visitor for tests, driven one JSON line at a time (runs in Rasa's environment).

The actions environment has no socketio client; Rasa's has python-socketio's. The tests start
this script once with Rasa's Python and send it one request per line on stdin:

    {"url": "http://127.0.0.1:5005", "session_id": <any JSON value>, "message": "/greet"}

For each, a fresh client connects (long-polling), asks for a session with that `session_id`,
sends one message carrying the requested `session_id` (refused ids included: it must be
dropped), then one carrying the confirmed id, and waits for the bot's answer. It writes one
JSON line back: {"confirmed": <id or null>, "replies": [<texts>], "error": <text or null>}.
The JSON on both sides keeps lone surrogates as `\\udXXX` escapes, as a browser would send them.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import socketio

WAIT_SECONDS = 30.0


def visit(url: str, session_id: Any, message: str) -> dict[str, Any]:
    client = socketio.Client(reconnection=False)
    confirmed: list[Any] = []
    replies: list[str] = []
    got_confirm, got_reply = threading.Event(), threading.Event()

    @client.on("session_confirm")
    def on_confirm(data: Any) -> None:
        confirmed.append(data)
        got_confirm.set()

    @client.on("bot_uttered")
    def on_reply(data: Any) -> None:
        replies.append(data.get("text", "") if isinstance(data, dict) else str(data))
        got_reply.set()

    try:
        client.connect(url, transports=["polling"], wait_timeout=WAIT_SECONDS)
        client.emit("session_request", {"session_id": session_id})
        if not got_confirm.wait(WAIT_SECONDS):
            return {"confirmed": None, "replies": replies, "error": "no session_confirm"}
        client.emit("user_uttered", {"message": message, "session_id": session_id})  # dropped when refused
        client.emit("user_uttered", {"message": message, "session_id": confirmed[0]})
        if not got_reply.wait(WAIT_SECONDS):
            return {"confirmed": confirmed[0], "replies": replies, "error": "no reply"}
        return {"confirmed": confirmed[0], "replies": replies, "error": None}
    except Exception as error:  # reported to the test, which fails with it
        return {"confirmed": confirmed[0] if confirmed else None, "replies": replies, "error": repr(error)}
    finally:
        client.disconnect()


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        result = visit(request["url"], request["session_id"], request.get("message", "/greet"))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
