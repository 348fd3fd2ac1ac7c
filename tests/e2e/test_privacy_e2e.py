"""Privacy through the real stack: a known email never overwrites a lead; declined consent leaves no contact text."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from integrations.leads.cli import main
from tests.e2e.conftest import Visitor, lead_rows, outbox_entries
from tests.e2e.test_conversations import contact_details

HOT = ("book a demo", "/need_defined", "/authority_decision_maker", "/budget_allocated", "/timeline_immediate")


def tracker_texts(stack, conversation_id: str) -> str:
    engine = create_engine(f"sqlite:///{stack.config.tracker_db}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": conversation_id}
            ).all()
    finally:
        engine.dispose()
    return "\n".join(row[0] for row in rows)


@pytest.fixture()
def leads_cli(stack, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", stack.config.database_url)
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{stack.config.tracker_db}")
    return main


def grep_state(stack, needles: list[str]) -> dict[str, int]:
    """Occurrences of each needle's bytes in every file of the stack's state directory."""
    found = {}
    for path in sorted(stack.config.state_dir.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                if needle.encode() in data:
                    found[f"{path.name}: {needle}"] = data.count(needle.encode())
    return found


def test_a_second_conversation_with_the_same_email_keeps_both_and_tells_the_rep(
    stack, leads_cli, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"anais.{uuid.uuid4().hex[:8]}@globex.com"
    line = f"{uuid.uuid4().int % 9000 + 1000}"
    owner = Visitor(stack)
    owner.converse(*HOT)
    contact_details(owner, "Anaïs Quellbrunn", email, "Globex Inc.", f"+1 646 555 {line}")
    stranger = Visitor(stack)
    stranger.converse("book a demo", "/need_none", "/authority_researcher", "/budget_none", "/timeline_none")
    contact_details(stranger, "Mallory Mallet", email, "Evil Corp", f"+44 20 7946 {line}")

    first, second = sorted(lead_rows(stack, email=email), key=lambda lead: lead.id)
    assert (first.conversation_id, first.person_name, first.phone, first.stage) == (
        owner.id,
        "Anaïs Quellbrunn",
        f"+1646555{line}",
        "SQL",
    )
    assert (second.conversation_id, second.person_name, second.stage) == (stranger.id, "Mallory Mallet", "IQL")
    assert first.person_id == second.person_id and first.unverified == []
    assert second.unverified == ["person_name", "company", "phone"]
    [notice] = [entry for entry in outbox_entries(stack, stranger.id) if entry["kind"] == "returning_person"]
    assert notice["rep"]["name"] == first.assigned_rep and notice["earlier_lead_id"] == first.id
    assert "UNVERIFIED: name, company, phone" in notice["text"]
    assert stranger.id not in notice["transcript_url"] and owner.id not in notice["transcript_url"]

    assert leads_cli(["show", str(second.id)]) == 0
    shown = capsys.readouterr().out
    assert "Other conversations of this person (1)" in shown and owner.id in shown
    assert "name, company, phone (differ from the person's earlier details)" in shown

    # erasure: afterwards not one byte of either conversation's contact details in any file of the stack
    monkeypatch.setenv("OUTBOX_LOG", str(stack.config.outbox_log))
    monkeypatch.setenv("LEAD_SPOOL", str(stack.config.state_dir / "lead-spool.jsonl"))
    needles = [email, "Anaïs Quellbrunn", "Quellbrunn", "Mallory Mallet", f"646555{line}", f"555 {line}", f"7946{line}"]
    assert len(grep_state(stack, needles)) >= 3  # leads.db (or its -wal), tracker.db, outbox.log
    assert leads_cli(["erase", "--email", email.upper(), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "leads: 2" in out and "compacted (checkpoint and VACUUM): leads.db, tracker.db" in out
    assert grep_state(stack, needles) == {}
    assert lead_rows(stack, email=email) == []


def test_declined_consent_leaves_no_contact_text_in_the_tracker(visitor: Visitor, stack, leads_cli, capsys) -> None:
    email = f"hans.{uuid.uuid4().hex[:8]}@meier.de"
    # a number no other conversation of the session's stack gives (the held-out suite has Berlin numbers)
    digits = f"7{uuid.uuid4().int % 10**6:06d}"
    visitor.converse(*HOT)
    contact_details(visitor, "Hans Meierhofer", email, "Meierhofer Maschinenbau AG", f"+49 30 {digits}", "no thanks")
    contact = ("Hans Meierhofer", email, "Meierhofer Maschinenbau", digits)
    deadline = time.monotonic() + 15  # the second pass runs after Rasa has stored the last turn
    while any(value in tracker_texts(stack, visitor.id) for value in contact) and time.monotonic() < deadline:
        time.sleep(0.5)
    stored = tracker_texts(stack, visitor.id)
    assert stored and [value for value in contact if value in stored] == []
    assert "withheld: declined consent" in stored
    data = stack.config.tracker_db.read_bytes()
    assert [value for value in contact if value.encode() in data] == []  # not in the file's free space either

    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert lead.consent is False and lead.email is None
    [notification] = outbox_entries(stack, visitor.id)
    assert "Contact: declined consent" in notification["text"]
    assert leads_cli(["show", str(lead.id)]) == 0
    shown = capsys.readouterr().out
    assert "declined consent" in shown and "Hans" not in shown and email not in shown
