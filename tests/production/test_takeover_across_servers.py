"""A rep's message reaches the visitor whichever Rasa server holds the visitor's socket (AsyncRedisManager)."""

from __future__ import annotations

import json
import subprocess
import time

from integrations.console.rasa_api import RasaApi
from integrations.runtime.production import ProductionStack
from integrations.runtime.stack import RASA_PYTHON, ROOT
from tests.production.conftest import ProductionVisitor


def test_a_rep_message_sent_through_one_server_reaches_a_socket_on_the_other(
    production: ProductionStack, visitor: ProductionVisitor
) -> None:
    visitor.say("/greet", via=0)  # the conversation exists in the shared tracker store
    listener = subprocess.Popen(
        [str(RASA_PYTHON), str(ROOT / "tests" / "support" / "socketio_listener.py"),
         f"http://127.0.0.1:{production.config.rasa_ports[0]}", visitor.id],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert listener.stdout is not None and listener.stdin is not None
        assert listener.stdout.readline().strip() == "ready"
        other = RasaApi(f"http://127.0.0.1:{production.config.rasa_ports[1]}", production.config.rasa_token)
        other.pause(visitor.id)
        took = []
        for number in range(3):
            started = time.monotonic()
            other.say(visitor.id, "priya", "Priya Raman", f"Hi from the other server ({number}) <b>x</b>")
            message = json.loads(listener.stdout.readline())  # the listener stops by itself after 60 s
            took.append(time.monotonic() - started)
            assert (
                message["rep"] == "Priya Raman" and message["text"] == f"Hi from the other server ({number}) <b>x</b>"
            )
        print(f"\nrep message through server 2 to a socket on server 1: slowest of 3 {max(took) * 1000:.0f} ms")
        assert max(took) < 1.0, took
        # the bot stays silent on either server while paused; the visitor's message is kept
        answer = visitor.say_raw("are you there?", via=1)
        assert answer == []
        events = visitor.tracker(0)["events"]
        assert [e["text"] for e in events if e["event"] == "user"][-1] == "are you there?"
        other.resume(visitor.id)
    finally:
        if listener.stdin:
            listener.stdin.close()
        try:
            listener.wait(timeout=30)
        except subprocess.TimeoutExpired:
            listener.kill()
            listener.wait(timeout=30)
            raise
        finally:
            if listener.stdout:
                listener.stdout.close()
