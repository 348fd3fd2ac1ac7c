"""Faults injected into a real stack: the visitor always gets an answer, and no lead is lost silently.

Each test really breaks something (stops the action server or Rasa, locks the lead database,
floods the channel) and checks what the visitor sees and what ends up in the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from bench.conversations import SQL_ANSWERS
from integrations.rasa.guards import (
    EMPTY_TEXT,
    NO_REPLY_TEXT,
    RATE_LIMITED_TEXT,
    Guard,
    Limits,
    TokenBuckets,
)
from integrations.runtime.stack import Stack
from tests.e2e.conftest import Visitor, lead_rows, outbox_entries
from tests.faults.conftest import post, stop_process, wait_ok

SAVED_ERROR = "Something went wrong on our side while saving your request"
SQL_NEXT_STEP = "from our sales team will contact you"
LOG_DIR = Path("tests/reports/logs/faults")


def texts(response: requests.Response) -> str:
    return "\n".join(message.get("text", "") for message in response.json())


def contact_until_consent(visitor: Visitor, name: str = "Dana Fault", company: str = "Faultline Inc") -> None:
    """Answer every question of a hot lead up to (not including) the consent question's answer."""
    visitor.converse(*SQL_ANSWERS)
    visitor.converse(name, f"{visitor.id}@faultline.io", company)
    replies = visitor.say("/skip")
    assert "May we store these details" in visitor.texts(replies)


def lead_database(stack: Stack) -> Path:
    return Path(stack.config.database_url.removeprefix("sqlite:///"))


class HeldLock:
    """An exclusive SQLite lock on the lead database, held in a thread until released (or a cap)."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path = path
        self.seconds = seconds
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            self.locked.set()
            self.release.wait(self.seconds)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    def __enter__(self) -> HeldLock:
        self.thread.start()
        assert self.locked.wait(10), "could not lock the lead database"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self.thread.join(30)


def test_action_server_down_gives_a_polite_answer_and_the_conversation_resumes(fault_stack: Stack) -> None:
    visitor = Visitor(fault_stack)
    assert "role in choosing" in visitor.texts(visitor.converse("/request_demo", "/need_defined"))
    stop_process(fault_stack, "actions")
    try:
        response = post(fault_stack, visitor.id, "/authority_decision_maker")
        assert response.status_code == 200
        assert texts(response) == NO_REPLY_TEXT
        assert "ALERT no reply" in (LOG_DIR / "rasa.log").read_text()
    finally:
        fault_stack.start_actions()
        wait_ok(f"{fault_stack.config.actions_url}/health")
    # the visitor tries again, as the polite message asked, and finishes the conversation
    replies = visitor.say("/authority_decision_maker")
    assert "budget" in visitor.texts(replies).lower()
    visitor.converse("/budget_allocated", "/timeline_immediate")
    visitor.converse("Dana Resumed", f"{visitor.id}@faultline.io", "Faultline Inc", "/skip")
    assert SQL_NEXT_STEP in visitor.texts(visitor.say("/affirm"))
    [lead] = lead_rows(fault_stack, conversation_id=visitor.id)
    assert (lead.stage, lead.person_name) == ("SQL", "Dana Resumed")


def test_a_briefly_locked_database_still_stores_the_lead(fault_stack: Stack) -> None:
    visitor = Visitor(fault_stack)
    contact_until_consent(visitor)
    with HeldLock(lead_database(fault_stack), seconds=2.0):
        started = time.monotonic()
        replies = visitor.say("/affirm")
    assert time.monotonic() - started >= 1.5  # the store really waited for the lock
    assert SQL_NEXT_STEP in visitor.texts(replies)
    assert len(lead_rows(fault_stack, conversation_id=visitor.id)) == 1


def test_a_database_locked_past_the_retries_spools_the_lead_and_stores_it_later(fault_stack: Stack) -> None:
    """The visitor is answered at once (not kept waiting); the lead waits in the spool, not lost."""
    visitor = Visitor(fault_stack)
    contact_until_consent(visitor)
    spool = fault_stack.config.state_dir / "lead-spool.jsonl"
    with HeldLock(lead_database(fault_stack), seconds=240.0):  # released when the answer arrives
        response = post(fault_stack, visitor.id, "/affirm")
        assert response.status_code == 200
        assert SAVED_ERROR in texts(response)
        assert lead_rows(fault_stack, conversation_id=visitor.id) == []
        assert visitor.id in spool.read_text()
    deadline = time.monotonic() + 30  # the dispatcher's next rounds store it
    while not lead_rows(fault_stack, conversation_id=visitor.id) and time.monotonic() < deadline:
        time.sleep(0.5)
    [lead] = lead_rows(fault_stack, conversation_id=visitor.id)
    assert (lead.stage, lead.person_name, lead.company) == ("SQL", "Dana Fault", "Faultline Inc")
    assert visitor.id not in spool.read_text()
    assert outbox_entries(fault_stack, visitor.id, expected=1, timeout=15)  # and the rep is notified


def test_rasa_restart_mid_conversation_keeps_the_conversation(fault_stack: Stack) -> None:
    visitor = Visitor(fault_stack)
    visitor.converse("/request_demo", "/need_defined", "/authority_decision_maker")
    stop_process(fault_stack, "rasa")
    fault_stack.start_rasa()
    fault_stack.wait_ready(240)
    slots = visitor.slots()
    assert (slots["need"], slots["authority"]) == ("defined", "decision_maker")
    assert "When would you like" in visitor.texts(visitor.say("/budget_allocated"))
    visitor.say("/timeline_immediate")
    visitor.converse("Rhea Restart", f"{visitor.id}@faultline.io", "Faultline Inc", "/skip")
    assert SQL_NEXT_STEP in visitor.texts(visitor.say("/affirm"))
    assert len(lead_rows(fault_stack, conversation_id=visitor.id, stage="SQL")) == 1


def test_a_flood_from_one_sender_gets_429_after_30(fault_stack: Stack) -> None:
    sender = f"flood-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=40) as pool:
        responses = list(pool.map(lambda _: post(fault_stack, sender, "hello"), range(40)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 30 + [429] * 10
    for response in responses:
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert texts(response) == RATE_LIMITED_TEXT
        else:
            assert texts(response)  # every admitted message got a real answer


def test_a_flood_from_one_ip_gets_429_after_120(fault_stack: Stack) -> None:
    headers = {"X-Forwarded-For": "203.0.113.7"}
    statuses = [post(fault_stack, f"ip-{index}", " ", headers).status_code for index in range(130)]
    first_refused = statuses.index(429)
    assert 120 <= first_refused <= 123  # the bucket refills 2 tokens a second while we send
    assert post(fault_stack, "ip-other", " ", {"X-Forwarded-For": "203.0.113.8"}).status_code == 200


def test_long_and_empty_messages_never_reach_rasa(fault_stack: Stack) -> None:
    visitor = Visitor(fault_stack)
    too_long = post(fault_stack, visitor.id, "budget " * 400)
    assert too_long.status_code == 413
    assert "too long" in texts(too_long) and "2000" in texts(too_long)
    for empty in ("", "   \n\t", None):
        response = post(fault_stack, visitor.id, empty)
        assert (response.status_code, texts(response)) == (200, EMPTY_TEXT)
    not_json = requests.post(f"{fault_stack.config.rasa_url}/webhooks/rest/webhook", data="nope", timeout=30)
    assert not_json.status_code == 400
    events = visitor.tracker()["events"]
    assert not [event for event in events if event.get("event") == "user"]


def test_emoji_and_right_to_left_text_are_stored_intact(fault_stack: Stack) -> None:
    visitor = Visitor(fault_stack)
    name, company = "أحمد 🚀", "شركة النجوم 🌟"
    contact_until_consent(visitor, name=name, company=company)
    assert SQL_NEXT_STEP in visitor.texts(visitor.say("/affirm"))
    [lead] = lead_rows(fault_stack, conversation_id=visitor.id)
    assert (lead.person_name, lead.company) == (name, company)


# ---- the guards themselves, without a stack


def test_token_bucket_refills_at_the_configured_rate() -> None:
    buckets = TokenBuckets(per_minute=60)
    assert [buckets.take("k", now=0.0) for _ in range(60)] == [0.0] * 60
    assert buckets.take("k", now=0.0) == pytest.approx(1.0)
    assert buckets.take("k", now=2.0) == 0.0  # two seconds give two tokens back (one was owed)
    assert buckets.take("other", now=0.0) == 0.0


def test_guard_limits_ips_except_the_exempt_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1000")
    monkeypatch.setenv("RATE_LIMIT_PER_IP_PER_MINUTE", "3")
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "10")
    guard = Guard(Limits.from_env())
    assert [guard.check_rate(f"s{index}", "198.51.100.1") for index in range(3)] == [None] * 3
    refused = guard.check_rate("s9", "198.51.100.1")
    assert refused is not None and refused.status == 429 and refused.retry_after >= 1
    assert all(guard.check_rate(f"s{index}", "127.0.0.1") is None for index in range(10))
    assert guard.check_text("x" * 11).status == 413
    assert guard.check_text("x" * 10) is None


def test_hand_off_requests_are_limited_per_client_across_conversations(fault_stack: Stack) -> None:
    """One client opening conversation after conversation cannot flood the reps (3 alerts an hour per
    client), and another client is still heard. The channel names the client in the message metadata
    (a keyed hash of the forwarded address)."""
    flooder = {"X-Forwarded-For": "198.51.100.23"}

    def ask_for_a_human(headers: dict[str, str]) -> str:
        response = post(fault_stack, f"handoff-{uuid.uuid4().hex[:10]}", "I want to talk to a human please", headers)
        assert response.status_code == 200
        return texts(response)

    replies = [ask_for_a_human(flooder) for _ in range(4)]
    assert all("couldn't alert a person" not in reply for reply in replies[:3]), replies
    assert "couldn't alert a person" in replies[3] and "sales@acme.example" in replies[3]
    assert "couldn't alert a person" not in ask_for_a_human({"X-Forwarded-For": "198.51.100.24"})
