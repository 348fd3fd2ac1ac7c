"""A socketio visitor that waits for a rep's message (runs in Rasa's environment, which has the client).

    python tests/support/socketio_listener.py URL SESSION_ID

Connects (long-polling) to one Rasa server, asks for the session, prints `ready`, then prints each
`bot_uttered` that carries a `rep` as one JSON line, until standard input closes or 60 s pass.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

import socketio

WAIT_SECONDS = 60.0


def main() -> None:
    url, session_id = sys.argv[1], sys.argv[2]
    client = socketio.Client(reconnection=False)
    confirmed = threading.Event()

    @client.on("session_confirm")
    def on_confirm(_data: Any) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    def on_reply(data: Any) -> None:
        if isinstance(data, dict) and data.get("rep"):
            sys.stdout.write(json.dumps(data) + "\n")
            sys.stdout.flush()

    client.connect(url, transports=["polling"], wait_timeout=WAIT_SECONDS)
    client.emit("session_request", {"session_id": session_id})
    if not confirmed.wait(WAIT_SECONDS):
        sys.stdout.write("no session_confirm\n")
        return
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    closed.wait(WAIT_SECONDS)
    try:
        client.disconnect()
    finally:
        os._exit(0)  # the client's polling threads would keep the process alive


if __name__ == "__main__":
    main()
