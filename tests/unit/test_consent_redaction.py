"""Declined consent: the contact answers leave Rasa's stored events (rows changed in place, none removed)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine

from integrations.consent_redaction import WITHHELD, redact_declined
from tests.support.postgres import temporary_postgres_database
from tests.support.tracker_events import make_events_table

CONTACT = ["Ana Lima", "ana.lima@acme.io", "Acmeon GmbH", "+14155552671", "415 555 2671", "ana.lima@acme"]


def conversation() -> list[tuple[str, str, dict]]:
    def slot(name, value):
        return ("c-no", "slot", {"event": "slot", "name": name, "value": value})

    def user(text):
        return ("c-no", "user", {"event": "user", "text": text, "parse_data": {"text": text, "entities": [
            {"entity": "email", "value": text}]}})  # fmt: skip

    def bot(text):
        return ("c-no", "bot", {"event": "bot", "text": text})

    return [
        user("we need lead scoring, I'm Ana Lima by the way"),
        slot("requested_slot", "person_name"),
        user("Ana Lima"),
        slot("person_name", "Ana Lima"),
        slot("requested_slot", "email"),
        user("ana.lima@acme"),
        bot('Hmm, "ana.lima@acme" doesn\'t look like a valid email address'),
        user("ana.lima@acme.io"),
        slot("email", "ana.lima@acme.io"),
        slot("requested_slot", "company"),
        user("Acmeon GmbH"),
        slot("company", "Acmeon GmbH"),
        slot("requested_slot", "phone"),
        user("415 555 2671"),
        slot("phone", "+14155552671"),
        slot("requested_slot", "consent"),
        user("no thanks"),
        slot("consent", False),
        ("other", "user", {"event": "user", "text": "Ana Lima from another visit"}),
    ]


def seed(url: str) -> None:
    events = make_events_table(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        for index, (sender, type_name, data) in enumerate(conversation()):
            connection.execute(
                events.insert().values(sender_id=sender, type_name=type_name, timestamp=index, data=json.dumps(data))
            )
    engine.dispose()


def stored(url: str, sender: str = "c-no") -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT data FROM events WHERE sender_id = '{sender}' ORDER BY id").all()
    engine.dispose()
    return [row[0] for row in rows]


def check(url: str) -> None:
    seed(url)
    assert (
        redact_declined(url, "c-no", {"person_name": "Ana Lima"}) == 11
    )  # the five answers, one echo, four slots and the first message
    rows = stored(url)
    assert len(rows) == 18  # Rasa counts stored events: none removed or added
    text = "\n".join(rows)
    for value in CONTACT:
        assert value.lower() not in text.lower()
    assert "we need lead scoring" in text and "no thanks" in text and WITHHELD in text
    assert json.loads(rows[3])["value"] is None  # the person_name slot event
    assert stored(url, "other") == [json.dumps({"event": "user", "text": "Ana Lima from another visit"})]
    assert redact_declined(url, "c-no") == 0  # nothing left to redact


def test_on_sqlite_no_old_bytes_remain_in_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    check(url)
    data = (tmp_path / "tracker.db").read_bytes()
    assert data.count(b"ana.lima@acme") == 0 and data.count(b"Acmeon") == 0  # secure_delete overwrote them
    assert data.count(b"Ana Lima") == 1  # the other conversation's


def test_on_postgresql() -> None:
    with temporary_postgres_database(migrate=False) as url:
        check(url)


def test_no_tracker_file_is_not_created(tmp_path: Path) -> None:
    assert redact_declined(f"sqlite:///{tmp_path / 'missing.db'}", "c-no") == 0
    assert not (tmp_path / "missing.db").exists()
