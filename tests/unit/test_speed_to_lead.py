"""Speed-to-lead on a frozen clock: the first-touch deadline in the rep's working minutes, escalation of an
unclaimed hot lead to the next rep and the manager, a second miss to the fallback queue, and a claim
from the leads CLI that stops it (with time to notify, claim and first contact in `leads show`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from integrations.handoff import store_lead
from integrations.leads.cli import main
from integrations.leads.transcript_links import TranscriptLinks
from integrations.outbox.channels.slack import CLAIM_ACTION, build_message
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.registry import configured_channels
from integrations.routing import Rep, RoutingPolicy
from integrations.speed_to_lead import escalate_overdue, first_touch_deadline
from integrations.store.db import transaction
from integrations.store.models import Lead, Notification
from tests.support.leads import lead_record
from tests.support.receivers import slack_message_problem
from tests.support.web_server import web_server

UTC = timezone.utc
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ROUTING = RoutingPolicy.from_yaml(
    {
        "reps": [
            {"name": "Ana", "email": "ana@x.io", "slack": "U0ANA", "timezone": "UTC"},
            {"name": "Ben", "email": "ben@x.io", "slack": "U0BEN", "timezone": "UTC"},
        ],
        "fallback": {"name": "Sales team", "email": "sales@x.io", "slack": "#sales-leads"},
        "speed_to_lead": {"first_touch_minutes": 5, "manager": {"name": "Mia", "email": "mia@x.io", "slack": "#mgr"}},
    }
)


def test_the_deadline_counts_working_minutes_only() -> None:
    berlin = Rep("Dana", "d@x.io", timezone="Europe/Berlin")
    assert first_touch_deadline(MONDAY_10, berlin, 5) == MONDAY_10 + timedelta(minutes=5)  # 11:00 Berlin
    evening = datetime(2026, 11, 30, 15, 58, tzinfo=UTC)  # 16:58 Berlin: 2 minutes today, 3 tomorrow
    assert first_touch_deadline(evening, berlin, 5) == datetime(2026, 12, 1, 8, 3, tzinfo=UTC)
    friday_night = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert first_touch_deadline(friday_night, berlin, 5) == datetime(2026, 12, 7, 8, 5, tzinfo=UTC)  # Monday


def hot_lead(url: str, tmp_path: Path, now: datetime) -> Lead:
    record = lead_record(
        conversation_id="hot-1", score=100, stage="SQL", temperature="hot", reasons=[], consent=True,
        person_name="Maria", email="maria@globex.com", company="Globex",
    )  # fmt: skip
    links = TranscriptLinks("http://localhost/transcripts/{token}", "secret", timedelta(days=7))
    stored = store_lead(url, record, links=links, channels=["local_log"], routing=ROUTING, now=now)
    with transaction(url) as session:
        lead = session.get(Lead, stored.lead_id)
        assert lead is not None
        return lead


def notices(url: str) -> list[tuple[str, str]]:
    with transaction(url) as session:
        rows = session.scalars(select(Notification).where(Notification.kind.like("escalat%")).order_by(Notification.id))
        return [(row.kind, row.payload["rep"]["name"]) for row in rows]


def test_an_unclaimed_hot_lead_is_escalated_then_goes_to_the_fallback(database_url: str, tmp_path: Path) -> None:
    lead = hot_lead(database_url, tmp_path, MONDAY_10)
    first_rep = lead.assigned_rep
    assert lead.first_touch_by is not None
    assert lead.first_touch_by.replace(tzinfo=UTC) == MONDAY_10 + timedelta(minutes=5)
    assert escalate_overdue(database_url, ROUTING, ["local_log"], MONDAY_10 + timedelta(minutes=4)) == []

    [first] = escalate_overdue(database_url, ROUTING, ["local_log"], MONDAY_10 + timedelta(minutes=5, seconds=1))
    other = "Ben" if first_rep == "Ana" else "Ana"
    assert (first.from_rep, first.to_rep, first.second_miss) == (first_rep, other, False)
    assert notices(database_url) == [("escalated", other), ("escalation_manager", "Mia")]

    later = MONDAY_10 + timedelta(minutes=10, seconds=2)
    [second] = escalate_overdue(database_url, ROUTING, ["local_log"], later)
    assert (second.to_rep, second.second_miss) == ("Sales team", True)
    assert escalate_overdue(database_url, ROUTING, ["local_log"], later + timedelta(hours=1)) == []
    with transaction(database_url) as session:
        row = session.get(Lead, lead.id)
        assert row is not None and (row.assigned_rep, row.escalations, row.first_touch_by) == ("Sales team", 2, None)
    report = dispatch_due(database_url, configured_channels(tmp_path / "outbox.log"), now=later + timedelta(hours=1))
    assert report.sent == 5  # the hand-off, and two notices for each escalation
    assert "ESCALATED hot lead" in (tmp_path / "outbox.log").read_text()


def test_a_claim_from_the_cli_stops_the_escalation_and_shows_the_times(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clock
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    clock.move_to(MONDAY_10, tick=False)
    lead = hot_lead(database_url, tmp_path, MONDAY_10)
    clock.move_to(MONDAY_10 + timedelta(seconds=2), tick=False)
    dispatch_due(database_url, configured_channels(tmp_path / "outbox.log"))
    clock.move_to(MONDAY_10 + timedelta(minutes=3, seconds=20), tick=False)
    assert main(["claim", str(lead.id), "--rep", lead.assigned_rep or ""]) == 0
    assert escalate_overdue(database_url, ROUTING, ["local_log"], MONDAY_10 + timedelta(minutes=30)) == []
    clock.move_to(MONDAY_10 + timedelta(minutes=41), tick=False)
    assert main(["contacted", str(lead.id)]) == 0
    capsys.readouterr()
    assert main(["show", str(lead.id)]) == 0
    shown = capsys.readouterr().out
    assert "first touch by 2026-11-30 10:05:00 UTC" in shown
    assert "time to notify 0 min 02 s" in shown
    assert "time to claim  3 min 20 s" in shown
    assert "first contact  41 min 00 s" in shown
    assert "escalations    0" in shown


def slack_click(web: str, secret: str, lead_id: int, user: str, *, timestamp: int, tamper: bool = False):
    """What Slack sends when a rep clicks Claim: a form with `payload`, signed with the app's secret."""
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "actions": [{"action_id": CLAIM_ACTION, "value": str(lead_id)}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    if tamper:
        body = body.replace(str(lead_id), str(lead_id + 1), 1)
    headers = {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return requests.post(f"{web}/slack/interactions", data=body, headers=headers, timeout=10)


def test_the_slack_claim_button_claims_and_stops_the_escalation_and_bad_signatures_are_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    reps = tmp_path / "reps.yml"
    reps.write_text(
        "reps:\n"
        "  - {name: Ana, email: ana@x.io, slack: U0ANA, booking_link: https://cal/ana, timezone: UTC}\n"
        "  - {name: Ben, email: ben@x.io, slack: U0BEN, booking_link: https://cal/ben, timezone: UTC}\n"
        "fallback: {name: Sales team, email: sales@x.io, booking_link: https://cal/team}\n"
    )
    for name, value in {
        "DATABASE_URL": database_url,
        "REPS_FILE": str(reps),
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    }.items():
        monkeypatch.setenv(name, value)
    clock.move_to(MONDAY_10, tick=False)
    lead = hot_lead(database_url, tmp_path, MONDAY_10)
    owner = "U0ANA" if lead.assigned_rep == "Ana" else "U0BEN"
    other = "U0BEN" if owner == "U0ANA" else "U0ANA"
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    now = int(MONDAY_10.timestamp()) + 60
    clock.move_to(MONDAY_10 + timedelta(minutes=1), tick=False)
    with web_server() as web:
        assert slack_click(web, "wrong-secret", lead.id, owner, timestamp=now).status_code == 401
        assert slack_click(web, secret, lead.id, owner, timestamp=now, tamper=True).status_code == 401
        assert slack_click(web, secret, lead.id, owner, timestamp=now - 600).status_code == 401  # replayed later
        refused = slack_click(web, secret, lead.id, other, timestamp=now)
        assert refused.status_code == 200 and "belongs to" in refused.json()["text"]
        claimed = slack_click(web, secret, lead.id, owner, timestamp=now)
        assert claimed.status_code == 200 and f"claimed by {lead.assigned_rep}" in claimed.json()["text"]
    with transaction(database_url) as session:
        row = session.get(Lead, lead.id)
        assert row is not None and row.status == "claimed" and row.claimed_at is not None
    assert escalate_overdue(database_url, ROUTING, ["local_log"], MONDAY_10 + timedelta(hours=1)) == []


def test_the_hot_leads_slack_message_has_the_claim_button(database_url: str, tmp_path: Path) -> None:
    hot_lead(database_url, tmp_path, MONDAY_10)
    with transaction(database_url) as session:
        notification = session.scalars(select(Notification)).one()
        message = build_message(notification)
    assert slack_message_problem(message) is None
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    claim = actions["elements"][-1]
    assert (claim["action_id"], claim["value"]) == (CLAIM_ACTION, str(notification.lead_id))


def test_escalations_go_to_the_managers_own_slack_webhook_when_reps_yml_sets_one(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integrations.handoff import _channels
    from integrations.outbox.channels.slack import MANAGER_CHANNEL
    from integrations.routing import load_policy
    from integrations.settings import Settings
    from tests.support.receivers import Receivers

    slack = Receivers().start()
    try:
        team, managers = f"{slack.base}/slack/team", f"{slack.base}/slack/managers"
        monkeypatch.setenv("SLACK_WEBHOOK_URL", team)
        reps_files = {}
        for name, manager_webhook in (("own", f", slack_webhook: {managers}"), ("none", "")):
            reps_files[name] = tmp_path / f"reps-{name}.yml"
            reps_files[name].write_text(
                "reps:\n"
                "  - {name: Ana, email: ana@x.io, slack: U0ANA, timezone: UTC}\n"
                "  - {name: Ben, email: ben@x.io, slack: U0BEN, timezone: UTC}\n"
                "fallback: {name: Sales team, email: sales@x.io}\n"
                "speed_to_lead:\n"
                f"  manager: {{name: Mia, email: mia@x.io, slack: '#mgr'{manager_webhook}}}\n"
            )

        def escalate(reps: Path, at: datetime) -> list[tuple[str, str]]:
            """One dispatcher round as integrations/outbox/worker.py runs it; (path, text) of what reached Slack."""
            monkeypatch.setenv("REPS_FILE", str(reps))
            channels = configured_channels(tmp_path / "outbox.log")
            escalate_overdue(database_url, load_policy(reps), list(channels), at)
            before = len(slack.received)
            dispatch_due(database_url, channels, now=at)
            assert slack.rejected == []  # Block Kit as Slack accepts it
            return [(item.path, item.json()["text"]) for item in slack.received[before:]]

        monkeypatch.setenv("REPS_FILE", str(reps_files["none"]))
        assert MANAGER_CHANNEL not in configured_channels(tmp_path / "outbox.log")
        monkeypatch.setenv("REPS_FILE", str(reps_files["own"]))
        monkeypatch.setenv("OUTBOX_LOG", str(tmp_path / "outbox.log"))
        assert MANAGER_CHANNEL not in _channels(Settings.from_env())  # hand-offs never go to the manager's webhook
        lead = hot_lead(database_url, tmp_path, MONDAY_10)
        sent = escalate(reps_files["own"], MONDAY_10 + timedelta(minutes=6))
        escalated = [(path, text) for path, text in sent if text.startswith(f"ESCALATED hot lead {lead.id}")]
        assert sorted(path for path, _ in escalated) == ["/slack/managers", "/slack/team"]  # the manager's, the rep's
        with transaction(database_url) as session:
            kinds = {(row.kind, row.channel) for row in session.scalars(select(Notification))}
        assert ("escalation_manager", MANAGER_CHANNEL) in kinds and ("escalation_manager", "slack") not in kinds

        # without the manager's webhook the notice goes through the team's webhook, as before
        sent = escalate(reps_files["none"], MONDAY_10 + timedelta(minutes=12))
        assert [path for path, text in sent if text.startswith(f"ESCALATED hot lead {lead.id}")] == ["/slack/team"] * 2
    finally:
        slack.stop()
