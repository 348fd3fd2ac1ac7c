"""The rep console's parts without a server: accounts, sign-in throttle, sessions, takeovers, presence, records."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.exc import IntegrityError

from integrations.console import presence, takeovers
from integrations.console.accounts import accounts, check_password
from integrations.console.auth import LOCK_AFTER, SESSION_LIFETIME, SLOW_AFTER, Sessions, Throttle, csrf_ok, delay
from integrations.leads.cli import main as leads
from integrations.leads.render import transcript_text
from integrations.leads.transcripts import Line, lines_from_rows
from integrations.store.db import transaction
from integrations.store.models import Lead, Takeover

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def reps_file(tmp_path: Path, password_hash: str) -> Path:
    data = yaml.safe_load(Path("bot/qualification/reps.yml").read_text())
    data["reps"][2]["console"] = {"username": "priya", "password_hash": password_hash}
    data["reps"][2]["timezone"] = "Europe/London"
    data["reps"][2]["working_hours"] = {
        "mon": ["09:00-17:30"],
        "tue": ["09:00-17:30"],
        "wed": ["09:00-17:30"],
        "fri": ["09:00-13:00"],
    }
    path = tmp_path / "reps.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_rep_password_command_makes_a_hash_that_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert leads(["rep-password", "priya", "--stdin"]) == 0
    block = yaml.safe_load(capsys.readouterr().out)["console"]
    assert block["username"] == "priya" and block["password_hash"].startswith("$argon2id$")
    path = reps_file(tmp_path, block["password_hash"])
    assert set(accounts(path)) == {"priya"}
    account = check_password(path, "priya", "a long enough secret")
    assert account is not None and account.name == "Priya Raman"
    assert check_password(path, "priya", "a long enough secreT") is None
    assert check_password(path, "nobody", "a long enough secret") is None


def test_rep_password_refuses_short_passwords_and_odd_usernames(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert leads(["rep-password", "priya", "--stdin"]) == 1
    assert leads(["rep-password", "Priya <b>", "--stdin"]) == 1
    assert "at least 12" in capsys.readouterr().err


def test_wrong_passwords_slow_down_then_lock_until_the_window_passes() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    keys = ("user:priya", "ip:10.0.0.1")
    waits = []
    for _ in range(LOCK_AFTER):
        assert not throttle.locked(*keys)
        waits.append(delay(throttle.failures(*keys)))
        throttle.failed(*keys)
    assert waits[:SLOW_AFTER] == [0.0] * SLOW_AFTER and waits[SLOW_AFTER] > 0 and waits == sorted(waits)
    assert throttle.locked(*keys)
    assert 0 < throttle.retry_after(*keys) <= 15 * 60 + 1
    assert not throttle.locked("user:lukas", "ip:10.0.0.2")  # another rep elsewhere is not affected
    assert not throttle.locked("user:lukas", "ip:10.0.0.1")  # an address counts more leniently
    clock.at += timedelta(minutes=16)
    assert not throttle.locked(*keys) and throttle.failures(*keys) == 0


def test_sessions_expire_and_check_their_csrf_token() -> None:
    clock = Clock()
    sessions = Sessions(clock)
    token, session = sessions.start("priya")
    assert sessions.get(token) is session and sessions.signed_in() == {"priya"}
    assert csrf_ok(session, session.csrf) and not csrf_ok(session, None) and not csrf_ok(session, "x")
    assert sessions.get("made-up") is None and sessions.get(None) is None
    clock.at += SESSION_LIFETIME
    assert sessions.get(token) is None and sessions.signed_in() == set()


def test_one_open_takeover_per_conversation_and_the_history_kept(database_url: str) -> None:
    takeovers.take(database_url, "c1", "priya", "Priya Raman", T0)
    assert takeovers.take(database_url, "c1", "priya", "Priya Raman", T0).rep == "priya"  # taking again is a no-op
    with pytest.raises(takeovers.TakenError) as taken:
        takeovers.take(database_url, "c1", "lukas", "Lukas Brenner", T0)
    assert taken.value.holder.rep_name == "Priya Raman"
    with pytest.raises(IntegrityError):  # the database itself refuses a second open takeover
        with transaction(database_url) as session:
            session.add(Takeover(conversation_id="c1", rep="lukas", rep_name="Lukas Brenner", taken_at=T0))
    with pytest.raises(takeovers.TakenError):
        takeovers.release(database_url, "c1", "lukas", T0)
    takeovers.release(database_url, "c1", "priya", T0 + timedelta(minutes=3))
    with pytest.raises(LookupError):
        takeovers.release(database_url, "c1", "priya", T0)
    takeovers.take(database_url, "c1", "lukas", "Lukas Brenner", T0 + timedelta(minutes=5))
    assert [row.rep for row in takeovers.history(database_url, ["c1"])] == ["priya", "lukas"]
    assert set(takeovers.open_takeovers(database_url)) == {"c1"}


def test_a_rep_counts_as_online_while_the_console_polls(database_url: str, tmp_path: Path) -> None:
    assert presence.online(database_url, T0, 60) == []
    takeovers.seen(database_url, "priya", T0)
    assert presence.online(database_url, T0 + timedelta(seconds=59), 60) == ["priya"]
    assert presence.online(database_url, T0 + timedelta(seconds=61), 60) == []
    takeovers.seen(database_url, "priya", T0 + timedelta(seconds=61))
    assert presence.online(database_url, T0 + timedelta(seconds=62), 60) == ["priya"]
    presence.signed_out(database_url, "priya")
    assert presence.online(database_url, T0 + timedelta(seconds=62), 60) == []


def test_the_visitor_hears_honestly_whether_anyone_is_there(tmp_path: Path) -> None:
    rep = accounts(reps_file(tmp_path, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"))["priya"].rep
    hours = presence.hours_text(rep.working_hours, rep.timezone)
    assert hours == "Mon–Wed 09:00–17:30, Fri 09:00–13:00 (Europe/London)"
    nobody = presence.Availability([], hours).answer(rep.booking_link, has_email=False)
    assert nobody.startswith("Nobody from our sales team is in the chat right now (we're usually here Mon–Wed")
    assert "waits in their queue" in nobody and "leave your email" in nobody and rep.booking_link in nobody
    assert "follow up by email" in presence.Availability([], None).answer(None, has_email=True)
    assert "will join this chat" in presence.Availability(["priya"], hours).answer(rep.booking_link, has_email=False)


def test_rep_messages_in_transcripts_carry_the_reps_name() -> None:
    rows = [
        ("user", T0.timestamp(), '{"text": "hello"}'),
        (
            "bot",
            T0.timestamp(),
            '{"text": "Hi, I am Priya", "metadata": {"takeover_rep_name": "Priya Raman", "takeover_rep": "priya"}}',
        ),
        ("bot", T0.timestamp(), '{"text": "What is your role?"}'),
    ]
    lines = lines_from_rows(rows)
    assert [(line.speaker, line.label) for line in lines] == [
        ("visitor", "visitor"),
        ("rep", "rep Priya Raman"),
        ("bot", "bot"),
    ]
    text = transcript_text(lines)
    assert "rep Priya Raman  Hi, I am Priya" in text
    evil = transcript_text([Line("rep", "x", None, rep="Evil\x1b[31m")])
    assert "\x1b" not in evil


def test_erasure_and_retention_remove_takeovers(database_url: str) -> None:
    from integrations.leads.selection import Selection, delete_rows

    takeovers.take(database_url, "erased", "priya", "Priya Raman", T0)
    takeovers.take(database_url, "old", "priya", "Priya Raman", T0 - timedelta(days=400))
    takeovers.take(database_url, "kept", "lukas", "Lukas Brenner", T0)
    with transaction(database_url) as session:
        delete_rows(session, Selection(conversation_ids=["erased"]))
    with transaction(database_url) as session:
        delete_rows(session, Selection(rows_before=T0 - timedelta(days=365)))
    assert set(takeovers.open_takeovers(database_url)) == {"kept"}


# ---- claiming a hot lead from the console: the claim of the leads CLI and Slack's button ----

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
CLAIM_REPS = (
    "reps:\n"
    "  - {name: Ana, email: ana@x.io, timezone: UTC, console: {username: ana, password_hash: x}}\n"
    "  - {name: Ben, email: ben@x.io, timezone: UTC, console: {username: ben, password_hash: x}}\n"
    "fallback: {name: Sales team, email: sales@x.io}\n"
    "speed_to_lead: {first_touch_minutes: 5}\n"
)


def store_hot_lead(url: str, conversation_id: str, routing: Any, now: datetime) -> Lead:
    from integrations.handoff import store_lead
    from integrations.leads.transcript_links import TranscriptLinks
    from tests.support.leads import lead_record

    record = lead_record(
        conversation_id=conversation_id, score=100, stage="SQL", temperature="hot", reasons=[], consent=True,
        person_name="Maria <b>", email="maria@globex.com", company="Globex",
    )  # fmt: skip
    links = TranscriptLinks("http://localhost/transcripts/{token}", "secret", timedelta(days=7))
    stored = store_lead(url, record, links=links, channels=["local_log"], routing=routing, now=now)
    with transaction(url) as session:
        lead = session.get(Lead, stored.lead_id)
        assert lead is not None
        return lead


def test_a_rep_claims_a_hot_lead_from_the_console_once_and_the_escalation_stops(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integrations.console.app import Console, Request
    from integrations.console.claims import lead_summary
    from integrations.routing import load_policy
    from integrations.speed_to_lead import escalate_overdue, seconds_between

    reps = tmp_path / "reps.yml"
    reps.write_text(CLAIM_REPS)
    for name, value in {"DATABASE_URL": database_url, "REPS_FILE": str(reps)}.items():
        monkeypatch.setenv(name, value)
    routing = load_policy(reps)
    lead = store_hot_lead(database_url, "hot-1", routing, MONDAY_10)
    unclaimed = store_hot_lead(database_url, "hot-2", routing, MONDAY_10)
    owner = lead.assigned_rep or ""
    assert owner in {"Ana", "Ben"}
    other = "Ben" if owner == "Ana" else "Ana"
    clock = Clock()
    clock.at = MONDAY_10 + timedelta(minutes=3)
    console = Console(now=clock, sleep=lambda _: None)
    signed_in = {name: console.sessions.start(name.lower()) for name in (owner, other)}

    def claim(rep: str | None, csrf: str | None = "session", conversation: str = "hot-1") -> tuple[int, dict]:
        headers: dict[str, str] = {}
        if rep is not None:
            token, session = signed_in[rep]
            headers["Cookie"] = f"console_session={token}"
            if csrf is not None:
                headers["X-CSRF-Token"] = session.csrf if csrf == "session" else csrf
        path = f"/console/api/conversations/{conversation}/claim"
        response = console.handle(Request("POST", path, {}, headers, b"", "127.0.0.1"))
        assert response.content_type == "application/json"
        return response.status, json.loads(response.body)

    assert claim(None)[0] == 401  # not signed in
    assert claim(owner, csrf=None)[0] == 403  # no CSRF token
    assert claim(owner, csrf="forged")[0] == 403
    before = {"id": lead.id, "temperature": "hot", "status": "new", "assigned_rep": owner}
    assert lead_summary(database_url, "hot-1") == {**before, "claimed": False, "claimable": True}

    status, answer = claim(other)  # routed to the owner: the other rep cannot take it from the console
    assert status == 409 and f"belongs to {owner}" in answer["error"] and answer["claimed_by"] == owner
    assert "--force" not in answer["error"]
    status, answer = claim(owner)
    assert status == 200 and answer["message"] == f"lead {lead.id} claimed by {owner}" and answer["claimed_by"] == owner

    clock.at += timedelta(minutes=1)  # a second claim changes nothing and says who has it
    status, answer = claim(owner)
    assert status == 200 and "already yours" in answer["message"]
    status, answer = claim(other)
    assert (status, answer["error"], answer["claimed_by"]) == (
        409,
        f"lead {lead.id} is already claimed by {owner}",
        owner,
    )
    assert claim(owner, conversation="no-such-conversation")[0] == 404
    with transaction(database_url) as session:
        row = session.get(Lead, lead.id)
        assert row is not None and (row.status, row.assigned_rep) == ("claimed", owner)
        assert seconds_between(row.created_at, row.claimed_at) == 180  # time to claim: the first claim counts
    summary = lead_summary(database_url, "hot-1")
    assert summary is not None and (summary["claimed"], summary["claimable"]) == (True, False)

    escalated = escalate_overdue(database_url, routing, ["local_log"], MONDAY_10 + timedelta(minutes=30))
    assert [escalation.lead_id for escalation in escalated] == [unclaimed.id]  # only the lead nobody claimed
