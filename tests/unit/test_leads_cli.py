"""The reps' `leads` tool against a real lead store and a real tracker events table."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from integrations.answers import Answer
from integrations.leads.cli import main
from integrations.leads.terminal import clean
from integrations.outbox.channels.local_log import LocalLogChannel
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.outbox import enqueue
from integrations.store.db import transaction
from integrations.store.leads import save_lead, utcnow
from integrations.store.migrate import upgrade
from integrations.store.models import Lead, Notification
from tests.conftest import ROOT
from tests.support.leads import lead_record
from tests.support.tracker_events import make_events_table

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
ESCAPE = "\x1b[2J\x1b]0;pwned\x07"  # clear screen and retitle the terminal, hidden in visitor text


def seed_leads(url: str) -> dict[str, int]:
    """Three leads, newest first: an overdue hot lead, a claimed warm lead, an anonymous cold one."""
    now = utcnow()
    records = {
        "maria": lead_record(
            conversation_id="conv-maria",
            score=100,
            stage="SQL",
            temperature="hot",
            reasons=["need: defined (+25)", "stage SQL: score 100 >= 75"],
            consent=True,
            consent_text="May a sales rep contact you and keep these details?",
            person_name="Maria López",
            email="maria.lopez@globex.com",
            email_is_freemail=False,
            company="Globex Inc.",
            phone="+14155552671",
            need="defined",
            need_detail=f"automatic lead scoring{ESCAPE} from our CRM",
            authority="decision_maker",
            authority_detail="I'm the VP of sales",
            budget="allocated",
            budget_detail="we have $40k set aside",
            budget_amount=40000.0,
            budget_currency="USD",
            timeline="immediate",
            timeline_detail="asap, within two weeks",
            answers=[Answer("company_size", "Company size", "large", "about 500 people")],
            source={"page_url": "https://acme.example/pricing", "utm_source": "newsletter"},
            follow_up_by=now - timedelta(hours=1),
        ),
        "ben": lead_record(
            conversation_id="conv-ben",
            score=55,
            stage="MQL",
            temperature="warm",
            reasons=["gate: timeline later"],
            consent=True,
            consent_text="May we contact you?",
            person_name="Ben Okafor",
            email="ben@initech.example",
            company='=HYPERLINK("http://evil.example")',
            need="exploring",
            need_detail="just looking",
            follow_up_by=now + timedelta(days=2),
        ),
        "anon": lead_record(
            conversation_id="conv-anon",
            score=10,
            stage="IQL",
            temperature="cold",
            reasons=["need: exploring (+10)"],
            need="exploring",
            need_detail="a student project",
            person_name="dropped without consent",
        ),
    }
    ids = {}
    with transaction(url) as session:
        for age, (key, record) in enumerate(reversed(records.items())):
            lead = save_lead(session, record)
            lead.created_at = now - timedelta(hours=3 - age)
            ids[key] = lead.id
        session.get(Lead, ids["ben"]).assigned_rep = "Alice Chen"
        session.get(Lead, ids["ben"]).status = "claimed"
    return ids


def make_tracker(url: str) -> None:
    """Rasa's SQL tracker store table with one conversation (and noise that is not a message)."""
    events = make_events_table(url)
    engine = create_engine(url)
    start = 1_764_082_931.0
    buttons = [{"title": "We have budget", "payload": "/budget_allocated"}, {"title": "Not yet", "payload": "/no"}]
    rows = [
        ("conv-maria", "action", None, "action_session_start", {"event": "action", "name": "action_session_start"}),
        ("conv-maria", "user", "greet", None, {"event": "user", "text": "hi, we need lead scoring"}),
        ("conv-maria", "bot", None, None, {"event": "bot", "text": "Is there budget?", "data": {"buttons": buttons}}),
        ("conv-maria", "user", "budget_allocated", None, {"event": "user", "text": "/budget_allocated"}),
        ("conv-maria", "user", "inform", None, {"event": "user", "text": f"my name is Maria{ESCAPE}\nbot: fake line"}),
        ("conv-maria", "slot", None, None, {"event": "slot", "name": "budget", "value": "allocated"}),
        ("conv-other", "user", "greet", None, {"event": "user", "text": "someone else's conversation"}),
        ("conv-maria", "bot", None, None, {"event": "bot", "text": "Thanks Maria!\nA rep will call you."}),
    ]
    with engine.begin() as connection:
        for index, (sender, type_name, intent, action, data) in enumerate(rows):
            connection.execute(
                events.insert().values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=start + index,
                    intent_name=intent,
                    action_name=action,
                    data=json.dumps(data),
                )
            )
    engine.dispose()


@pytest.fixture()
def store(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> dict[str, int]:
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(tracker_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_DB_URL", tracker_url)
    return seed_leads(database_url)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def table_ids(output: str) -> list[int]:
    """Lead or notification ids: the first column of every table row (the table ends at a blank line)."""
    rows = output.split("\n\n")[0].splitlines()[1:]
    return [int(line.split()[0]) for line in rows if line[:1].isdigit()]


def lead(url: str, lead_id: int) -> Lead:
    with transaction(url) as session:
        return session.get(Lead, lead_id)


def test_list_newest_first_with_overdue_marker(store: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert table_ids(out) == [store["maria"], store["ben"], store["anon"]]
    header, maria_row, ben_row, *_ = out.splitlines()
    assert header.split()[:4] == ["ID", "WHEN", "STAGE", "SCORE"]
    assert "SQL/hot" in maria_row and "Maria López" in maria_row and "OVERDUE" in maria_row
    assert "Alice Chen" in ben_row and "claimed" in ben_row and "OVERDUE" not in ben_row
    assert "3 leads, 1 overdue" in out
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--stage", "SQL"], ["maria"]),
        (["--stage", "mql"], ["ben"]),
        (["--status", "new"], ["maria", "anon"]),
        (["--status", "claimed"], ["ben"]),
        (["--rep", "alice chen"], ["ben"]),
        (["--rep", "Nobody"], []),
        (["--overdue"], ["maria"]),
        (["--limit", "2"], ["maria", "ben"]),
        (["--stage", "IQL", "--overdue"], []),
    ],
)
def test_list_filters(
    store: dict[str, int], capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    code, out, _ = run(capsys, "list", *argv)
    assert code == 0
    assert table_ids(out) == [store[key] for key in expected]
    if not expected:
        assert "no leads match" in out


def test_show_every_field_transcript_and_notifications(
    store: dict[str, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(database_url) as session:
        [notification] = enqueue(
            session,
            kind="sql_lead",
            conversation_id="conv-maria",
            lead_id=store["maria"],
            payload={},
            channels=["slack"],
        )
        notification.status, notification.attempts, notification.last_error = "dead", 8, "HTTP 500 from Slack"
        enqueue(session, kind="handoff", conversation_id="conv-maria", key="talk-1", payload={}, channels=["local_log"])
        enqueue(session, kind="handoff", conversation_id="conv-other", key="talk-2", payload={}, channels=["local_log"])

    code, out, _ = run(capsys, "show", str(store["maria"]))

    assert code == 0
    assert out.startswith(f"Lead {store['maria']}: SQL (hot), score 100, status new")
    for expected in (
        "conv-maria",
        "maria.lopez@globex.com",
        "Globex Inc.",
        "+14155552671",
        '"May a sales rep contact you and keep these details?"',
        '"automatic lead scoring[2J]0;pwned from our CRM"',  # verbatim, control characters removed
        "decision_maker",
        '"I\'m the VP of sales"',
        '"we have $40k set aside"',
        "40,000 USD",
        '"asap, within two weeks"',
        "stage SQL: score 100 >= 75",
        "https://acme.example/pricing",
        "newsletter",
        "OVERDUE",
        "HTTP 500 from Slack",
        "Notifications (2)",  # its own and the conversation's hand-off, not another conversation's
        '  Company size   large           "about 500 people"',  # a question a marketer added, with its label
    ):
        assert expected in out, expected
    assert "Other fields" not in out  # the answers are shown once, under Qualification
    transcript = out.split("Transcript (")[1]
    assert "5 messages" in transcript
    assert "visitor  hi, we need lead scoring" in transcript
    assert "[We have budget | Not yet]" in transcript
    assert "visitor  We have budget [quick reply]" in transcript
    assert "someone else's conversation" not in transcript
    assert "action_session_start" not in transcript
    # a visitor's line break cannot start a line that looks like the bot's
    forged = next(line for line in transcript.splitlines() if "bot: fake line" in line)
    assert forged.startswith(" " * 20)
    assert "\x1b" not in out and "\x07" not in out


def test_show_without_tracker_store_still_shows_the_lead(
    store: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    code, out, _ = run(capsys, "show", str(store["anon"]))
    assert code == 0
    assert "a student project" in out
    assert "dropped without consent" not in out  # without consent no contact details were stored
    assert "not available: no tracker store at" in out
    assert not (tmp_path / "missing.db").exists()


def test_show_unknown_lead_exits_1(store: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "show", "9999")
    assert code == 1
    assert "no lead with id 9999" in err


def test_claim_refuses_another_reps_lead_unless_forced(
    store: dict[str, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "claim", str(store["maria"]), "--rep", "Bob Diaz")
    assert code == 0 and "claimed by Bob Diaz" in out
    assert (lead(database_url, store["maria"]).assigned_rep, lead(database_url, store["maria"]).status) == (
        "Bob Diaz",
        "claimed",
    )

    code, out, _ = run(capsys, "claim", str(store["maria"]), "--rep", "bob diaz")
    assert code == 0 and "already yours" in out

    code, _, err = run(capsys, "claim", str(store["maria"]), "--rep", "Alice Chen")
    assert code == 1
    assert "belongs to Bob Diaz" in err and "--force" in err
    assert lead(database_url, store["maria"]).assigned_rep == "Bob Diaz"

    code, out, _ = run(capsys, "claim", str(store["maria"]), "--rep", "Alice Chen", "--force")
    assert code == 0 and "taken over from Bob Diaz" in out
    assert lead(database_url, store["maria"]).assigned_rep == "Alice Chen"

    assert run(capsys, "claim", "9999", "--rep", "Bob")[0] == 1
    assert run(capsys, "claim", str(store["maria"]))[0] == 2  # --rep is required


def test_contacted_clears_the_overdue_flag(
    store: dict[str, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "contacted", str(store["maria"]), "--rep", "Bob Diaz")
    assert code == 0 and "marked contacted by Bob Diaz" in out
    saved = lead(database_url, store["maria"])
    assert (saved.status, saved.assigned_rep) == ("contacted", "Bob Diaz")
    assert table_ids(run(capsys, "list", "--overdue")[1]) == []
    assert "OVERDUE" not in run(capsys, "list")[1]

    code, _, err = run(capsys, "contacted", str(store["ben"]), "--rep", "Bob Diaz")
    assert code == 1 and "belongs to Alice Chen" in err
    code, out, _ = run(capsys, "contacted", str(store["ben"]))
    assert code == 0 and "by Alice Chen" in out
    assert lead(database_url, store["ben"]).status == "contacted"


def test_export_csv_parses_back_with_every_row_and_field(
    store: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(row["id"]) for row in rows] == [store["maria"], store["ben"], store["anon"]]
    # every column, then the columns of the question a marketer added (from the leads' answers)
    assert list(rows[0]) == [*(column.key for column in Lead.__table__.columns), "company_size", "company_size_detail"]
    maria, ben, anon = rows
    assert maria["person_name"] == "Maria López"
    assert maria["phone"] == "+14155552671"  # a phone number is not a formula
    assert maria["need_detail"] == "automatic lead scoring[2J]0;pwned from our CRM"  # control characters dropped
    assert json.loads(maria["reasons"]) == ["need: defined (+25)", "stage SQL: score 100 >= 75"]
    assert json.loads(maria["source"])["utm_source"] == "newsletter"
    assert maria["consent"] == "true" and maria["budget_amount"] == "40000.0"
    assert maria["follow_up_by"].endswith("+00:00")
    assert ben["company"] == '\'=HYPERLINK("http://evil.example")'  # not run by a spreadsheet
    assert anon["email"] == "" and anon["consent"] == "false"
    assert (maria["company_size"], maria["company_size_detail"]) == ("large", "about 500 people")
    assert (ben["company_size"], ben["company_size_detail"]) == ("", "")

    code, out, _ = run(capsys, "export", "--format", "csv", "--stage", "MQL")
    assert [row["person_name"] for row in csv.DictReader(io.StringIO(out))] == ["Ben Okafor"]


def test_export_json_to_a_file_keeps_values_verbatim(
    store: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADS_CALLER_CWD", str(tmp_path))
    code, out, err = run(capsys, "export", "--format", "json", "--output", "leads.json")
    assert code == 0 and out == ""
    assert "wrote 3 leads" in err
    rows = json.loads((tmp_path / "leads.json").read_text(encoding="utf-8"))
    assert [row["id"] for row in rows] == [store["maria"], store["ben"], store["anon"]]
    maria = rows[0]
    assert maria["need_detail"] == f"automatic lead scoring{ESCAPE} from our CRM"
    assert maria["source"] == {"page_url": "https://acme.example/pricing", "utm_source": "newsletter"}
    assert maria["budget_amount"] == 40000.0 and maria["consent"] is True
    assert rows[1]["company"] == '=HYPERLINK("http://evil.example")'

    code, out, _ = run(capsys, "export", "--format", "json", "--overdue")
    assert [row["id"] for row in json.loads(out)] == [store["maria"]]
    assert "\x1b" not in out  # escaped in the JSON text, not raw on the terminal


def test_outbox_list_and_retry_a_dead_notification(
    store: dict[str, int], database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(database_url) as session:
        dead, sent = enqueue(
            session,
            kind="sql_lead",
            conversation_id="conv-maria",
            lead_id=store["maria"],
            payload={"text": "HOT lead"},
            channels=["local_log", "webhook"],
        )
        dead.status, dead.attempts, dead.last_error = "dead", 8, "connection refused\x1b[31m"
        sent.status, sent.attempts, sent.delivered_at = "sent", 1, utcnow()
    dead_id, sent_id = dead.id, sent.id

    code, out, _ = run(capsys, "outbox")
    assert code == 0 and table_ids(out) == [sent_id, dead_id]
    code, out, _ = run(capsys, "outbox", "--status", "dead")
    assert table_ids(out) == [dead_id]
    assert "connection refused" in out and "\x1b" not in out
    assert "no notifications match" in run(capsys, "outbox", "--status", "pending")[1]

    code, out, _ = run(capsys, "retry", "--all-dead")
    assert code == 0 and f"queued again: {dead_id}" in out
    with transaction(database_url) as session:
        retried = session.get(Notification, dead_id)
        assert (retried.status, retried.attempts) == ("pending", 0)

    log = tmp_path / "outbox.log"
    report = dispatch_due(database_url, {"local_log": LocalLogChannel(log)})
    assert report.sent == 1
    assert json.loads(log.read_text(encoding="utf-8"))["text"] == "HOT lead"
    assert table_ids(run(capsys, "outbox", "--status", "sent")[1]) == [sent_id, dead_id]


def test_retry_by_id_refuses_sent_and_unknown(
    store: dict[str, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(database_url) as session:
        [sent] = enqueue(
            session, kind="sql_lead", conversation_id="c", lead_id=store["ben"], payload={}, channels=["x"]
        )
        sent.status, sent.attempts = "sent", 1
    code, _, err = run(capsys, "retry", str(sent.id), "4242")
    assert code == 1
    assert "already sent" in err and "no notification with id 4242" in err
    with transaction(database_url) as session:
        assert session.get(Notification, sent.id).status == "sent"
    code, out, _ = run(capsys, "retry", str(sent.id), "--force")
    assert code == 0 and f"queued again: {sent.id}" in out
    with transaction(database_url) as session:
        assert session.get(Notification, sent.id).status == "pending"
    assert run(capsys, "retry", "--all-dead")[1].strip() == "no dead notifications"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["list", "--stage", "HOT"],
        ["list", "--limit", "0"],
        ["show", "abc"],
        ["export"],
        ["export", "--format", "xml"],
        ["retry"],
        ["retry", "1", "--all-dead"],
        ["outbox", "--status", "lost"],
    ],
)
def test_usage_errors_exit_2(store: dict[str, int], capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage:" in err


def test_help_and_missing_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "claim" in out and "examples:" in out
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    code, _, err = run(capsys, "list")
    assert code == 1 and "no lead store at" in err
    assert not (tmp_path / "none.db").exists()


def test_clean_strips_terminal_controls_but_keeps_text() -> None:
    assert clean("Zoë 日本語 🚀\x1b[31m red\x9b2J\u202eevil\x00") == "Zoë 日本語 🚀[31m red2Jevil"
    assert clean("two\r\nlines\tand tab") == "two lines and tab"
    assert clean("two\nlines", keep_newlines=True) == "two\nlines"


def test_wrapper_script(store: dict[str, int], tmp_path: Path) -> None:
    env = dict(os.environ)
    result = subprocess.run(
        [str(ROOT / "scripts" / "leads"), "list", "--stage", "SQL"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert table_ids(result.stdout) == [store["maria"]]
    result = subprocess.run(
        [str(ROOT / "scripts" / "leads"), "export", "--format", "csv", "--output", "out.csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(list(csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()))) == 3  # user's cwd
    result = subprocess.run(
        [str(ROOT / "scripts" / "leads"), "show", "9999"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1


def test_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Aware timestamps, row locks and the tracker's events table on PostgreSQL."""
    upgrade(postgres_url)
    make_tracker(postgres_url)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("TRACKER_DB_URL", postgres_url)
    ids = seed_leads(postgres_url)

    assert table_ids(run(capsys, "list", "--overdue")[1]) == [ids["maria"]]
    code, out, _ = run(capsys, "show", str(ids["maria"]))
    assert code == 0 and "OVERDUE" in out and "visitor  We have budget [quick reply]" in out
    assert run(capsys, "claim", str(ids["ben"]), "--rep", "Bob Diaz")[0] == 1
    assert run(capsys, "claim", str(ids["ben"]), "--rep", "Bob Diaz", "--force")[0] == 0
    assert run(capsys, "contacted", str(ids["maria"]))[0] == 0
    assert table_ids(run(capsys, "list", "--overdue")[1]) == []
    rows = json.loads(run(capsys, "export", "--format", "json")[1])
    assert [row["assigned_rep"] for row in rows] == [None, "Bob Diaz", None]
    assert rows[0]["status"] == "contacted"
    with transaction(postgres_url) as session:
        [notification] = enqueue(session, kind="sql_lead", conversation_id="c", payload={}, channels=["x"])
        notification.status = "dead"
    assert run(capsys, "retry", str(notification.id))[0] == 0
    with transaction(postgres_url) as session:
        assert session.scalars(select(Notification.status)).one() == "pending"


def test_a_returning_person_is_shown_with_their_history_and_unverified_details(
    store: dict[str, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(database_url) as session:
        first = session.get(Lead, store["maria"])
        again = save_lead(
            session,
            lead_record(
                conversation_id="conv-stranger",
                score=10,
                stage="IQL",
                temperature="cold",
                reasons=[],
                consent=True,
                person_name="Mallory Mallet",
                email=first.email.upper(),
                company=first.company,
                phone="+15550000000",
            ),
        )
        again_id, first_id = again.id, first.id
    code, out, _ = run(capsys, "list")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith(f"{again_id} "))
    assert f" {first_id} " in row and "name, phone" in row
    anon = next(line for line in out.splitlines() if line.startswith(f"{store['anon']} "))
    assert "(declined consent)" in anon

    code, out, _ = run(capsys, "show", str(again_id))
    assert code == 0
    assert "name, phone (differ from the person's earlier details)" in out
    assert "Other conversations of this person (1)" in out
    history = out.split("Other conversations of this person (1)")[1]
    assert re.search(rf"\n  {first_id} +earlier ", history) and "conv-maria" in history
    code, out, _ = run(capsys, "show", str(first_id))
    assert re.search(rf"\n  {again_id} +later ", out) and re.search(r"unverified +none", out)
    code, out, _ = run(capsys, "show", str(store["anon"]))
    assert "declined consent" in out and "not linked to a person" in out


def test_show_lists_who_took_the_conversation_over(
    store: dict[str, int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime, timezone

    from integrations.console import takeovers

    taken = datetime(2026, 11, 25, 15, 2, tzinfo=timezone.utc)
    takeovers.take(database_url, "conv-maria", "priya", "Priya Raman", taken)
    _, before, _ = run(capsys, "show", str(store["maria"]))
    assert "Taken over in the rep console (1)" in before and "now (still with the rep)" in before
    takeovers.release(database_url, "conv-maria", "priya", taken.replace(minute=9))
    code, out, _ = run(capsys, "show", str(store["maria"]))
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("  Priya Raman (priya): "))
    assert "15:02" in line and "15:09" in line
