"""The production mode really shares conversations between two Rasa servers and survives losing one."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.conversations import SQL_ANSWERS, typed_hot_lead
from integrations.rasa.guards import NO_REPLY_TEXT
from integrations.runtime.production import ProductionStack
from integrations.runtime.stack import ACTION_TOKEN_HEADER, RASA_PYTHON, ROOT
from tests.production.conftest import ProductionVisitor
from tests.support.leads import lead_rows


def hot_lead_messages(email: str) -> list[str]:
    """A sales-qualified conversation from greeting to consent."""
    return ["hi", *SQL_ANSWERS, "Noor Haddad", email, "Haddad Logistics", "skip", "yes"]


def user_texts(tracker: dict[str, Any]) -> list[str]:
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def assert_turns_not_interleaved(tracker: dict[str, Any]) -> None:
    """Each message is handled completely (ending in action_listen) before the next one starts."""
    listening = True
    for event in tracker["events"]:
        if event["event"] == "user":
            assert listening, "a message was processed while the previous one was still being handled"
            listening = False
        elif event["event"] == "action" and event["name"] == "action_listen":
            listening = True


def wait_for_lead(stack: ProductionStack, email: str, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        rows = lead_rows(stack, email=email)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def outbox_lines(stack: ProductionStack, conversation_id: str) -> list[dict[str, Any]]:
    path = stack.config.state_dir / "outbox.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [entry for entry in map(json.loads, filter(None, lines)) if entry["conversation_id"] == conversation_id]


def test_messages_alternating_between_rasa_servers_stay_in_order(production, visitor: ProductionVisitor) -> None:
    email = f"noor.{uuid.uuid4().hex[:6]}@haddad-logistics.io"
    messages = hot_lead_messages(email)
    for number, text in enumerate(messages):
        replies = visitor.say(text, via=number % 2)
    assert "from our sales team will contact you" in " ".join(reply.get("text", "") for reply in replies)
    for server in (0, 1):
        tracker = visitor.tracker(server)
        assert user_texts(tracker) == messages
        assert tracker["slots"]["lead_stage"] == "SQL"
        assert_turns_not_interleaved(tracker)
    rows = wait_for_lead(production, email)
    assert len(rows) == 1
    assert rows[0].stage == "SQL" and rows[0].temperature == "hot"
    assert rows[0].conversation_id == visitor.id
    deadline = time.monotonic() + 15
    while not outbox_lines(production, visitor.id) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # a second dispatcher that wrongly sent again would have done so by now
    assert len(outbox_lines(production, visitor.id)) == 1


def test_nginx_spreads_one_typed_conversation_over_both_servers(production, visitor: ProductionVisitor) -> None:
    email = f"noor.{uuid.uuid4().hex[:6]}@haddad-logistics.io"
    messages = typed_hot_lead("Noor Haddad", email, "Haddad Logistics")
    for text in messages:
        replies = visitor.say(text)
        assert NO_REPLY_TEXT not in [reply.get("text") for reply in replies], f"technical problem after {text!r}"
    assert "from our sales team will contact you" in " ".join(reply.get("text", "") for reply in replies)
    assert user_texts(visitor.tracker()) == messages
    assert len(wait_for_lead(production, email)) == 1
    access_log = (production.config.state_dir / "nginx" / "access.log").read_text()
    used = {
        line.split("upstream=")[1].split()[0]
        for line in access_log.splitlines()
        if "POST /webhooks/rest/webhook" in line
    }
    assert {f"127.0.0.1:{port}" for port in production.config.rasa_ports} <= used


def test_simultaneous_messages_to_both_servers_are_handled_one_at_a_time(
    production, visitor: ProductionVisitor
) -> None:
    visitor.say("hi", via=0)
    questions = [f"what does it cost for {n} users?" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pair: visitor.say(pair[1], via=pair[0] % 2), enumerate(questions)))
    tracker = visitor.tracker()
    assert sorted(user_texts(tracker)[1:]) == sorted(questions)
    assert_turns_not_interleaved(tracker)


def test_lock_store_is_atomic_across_processes() -> None:
    """Four processes x five concurrent tasks increment a counter under one conversation's lock."""
    script = Path(__file__).with_name("lock_stress.py")
    result = subprocess.run(
        [str(RASA_PYTHON), str(script), "atomic", "--processes", "4", "--tasks", "5", "--rounds", "10"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["lock_errors"] == 0
    assert outcome["counted"] == outcome["expected"] == 200


def test_public_port_does_not_expose_rasas_http_api(production) -> None:
    public = f"http://127.0.0.1:{production.config.public_port}"
    token = {"token": production.config.rasa_token}
    for path in ("/status", "/version", "/conversations/x/tracker", "/model/parse", "/domain"):
        assert requests.get(public + path, params=token, timeout=10).status_code == 404, path
    assert requests.put(public + "/model", params=token, json={}, timeout=10).status_code == 404
    assert requests.get(public + "/", timeout=10).status_code == 200  # the demo page


def test_action_servers_refuse_calls_without_the_token(production) -> None:
    config = production.config
    body = {"next_action": "action_session_start", "sender_id": "x", "tracker": {"sender_id": "x", "events": []}}
    for port in (*config.actions_ports, config.actions_lb_port):
        url = f"http://127.0.0.1:{port}/webhook"
        assert requests.post(url, json=body, timeout=10).status_code == 401, port
        wrong = {ACTION_TOKEN_HEADER: "not-the-token"}
        assert requests.post(url, json=body, headers=wrong, timeout=10).status_code == 401, port
        right = {ACTION_TOKEN_HEADER: config.action_token}
        assert requests.post(url, json=body, headers=right, timeout=10).status_code != 401, port


def non_loopback_addresses() -> list[str]:
    output = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False).stdout
    return [address for address in output.split() if ":" not in address and not address.startswith("127.")]


def test_action_and_rasa_servers_listen_on_loopback_only(production) -> None:
    addresses = non_loopback_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    config = production.config
    for port in (*config.actions_ports, config.actions_lb_port, *config.rasa_ports, config.rasa_internal_port):
        with pytest.raises(OSError):
            socket.create_connection((addresses[0], port), timeout=2).close()


def test_stopping_one_rasa_server_mid_conversation_loses_nothing(production, visitor: ProductionVisitor) -> None:
    """Runs last in this file: it stops server 0 and starts it again."""
    email = f"noor.{uuid.uuid4().hex[:6]}@haddad-logistics.io"
    messages = hot_lead_messages(email)
    half = len(messages) // 2
    for text in messages[:half]:
        visitor.say(text)
    production.stop_rasa(0)
    try:
        for text in messages[half:]:
            replies = visitor.say(text)  # nginx sends every one to the server still running
        assert "from our sales team will contact you" in " ".join(reply.get("text", "") for reply in replies)
        tracker = visitor.tracker(1)
        assert user_texts(tracker) == messages
        assert_turns_not_interleaved(tracker)
        rows = wait_for_lead(production, email)
        assert len(rows) == 1 and rows[0].stage == "SQL"
    finally:
        production.start_rasa(0)
    assert user_texts(visitor.tracker(0)) == messages  # the restarted server sees the same conversation
