"""`leads export-person`, `leads erase` and `leads purge` against a real lead store and tracker events table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select

from integrations.handoff import store_lead
from integrations.leads.cli import main
from integrations.leads.transcript_links import TranscriptLinks
from integrations.outbox.channels.local_log import LocalLogChannel
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.outbox import enqueue
from integrations.routing import load_policy as load_routing
from integrations.spool import spool_lead
from integrations.store.db import transaction
from integrations.store.leads import save_lead, utcnow
from integrations.store.migrate import upgrade
from integrations.store.models import Lead, Notification
from tests.support.leads import lead_record
from tests.support.postgres import temporary_postgres_database
from tests.support.tracker_events import make_events_table

MARIA = "maria.lopez@globex.example"
NAME = "María López 🚀👩🏽‍💼"
RTL = "نحتاج إلى تقييم العملاء المحتملين — אנחנו צריכים את זה"
HIDDEN = "\u202eevil\x1b[2J"  # a bidi override and a terminal escape in visitor text
DAY = 86_400.0


@dataclass
class Store:
    leads_url: str
    tracker_url: str
    maria: int
    ben: int


def add_events(url: str, rows: list[tuple[str, str, float, dict]]) -> None:
    events = make_events_table(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        for sender, type_name, timestamp, data in rows:
            connection.execute(
                events.insert().values(
                    sender_id=sender, type_name=type_name, timestamp=timestamp, data=json.dumps(data)
                )
            )
    engine.dispose()


def event_senders(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT sender_id FROM events ORDER BY id").all()
    engine.dispose()
    return [row[0] for row in rows]


def every_value(url: str) -> str:
    """Every value of every table of the database, as text."""
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        rows = [str(tuple(row)) for table in tables for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"')]
    engine.dispose()
    return "\n".join(rows)


def seed(leads_url: str, tracker_url: str) -> Store:
    """Maria (two conversations, one found only through the tracker), Ben, and an anonymous visitor."""
    now = utcnow().timestamp()
    with transaction(leads_url) as session:
        maria = save_lead(
            session,
            lead_record(
                conversation_id="conv-maria",
                score=100,
                stage="SQL",
                temperature="hot",
                reasons=["need: defined (+25)"],
                consent=True,
                consent_text="May a sales rep contact you?",
                person_name=NAME,
                email=MARIA,
                company="Globex 🌐",
                need="defined",
                need_detail=f"{RTL} {HIDDEN}",
                source={"page_url": "https://acme.example/ar/pricing", "utm_campaign": "حملة"},
            ),
        )
        ben = save_lead(
            session,
            lead_record(
                conversation_id="conv-ben",
                score=55,
                stage="MQL",
                temperature="warm",
                reasons=["gate"],
                consent=True,
                person_name="Ben Okafor",
                email="ben@initech.example",
                need="exploring",
            ),
        )
        enqueue(
            session,
            kind="sql_lead",
            conversation_id="conv-maria",
            lead_id=maria.id,
            payload={"text": f"HOT lead: {NAME}", "need": RTL},
            channels=["slack", "local_log"],
        )
        enqueue(session, kind="handoff", conversation_id="conv-maria", key="h1", payload={"who": NAME}, channels=["x"])
        enqueue(session, kind="handoff", conversation_id="conv-maria-old", key="h2", payload={}, channels=["x"])
        enqueue(session, kind="sql_lead", conversation_id="conv-ben", lead_id=ben.id, payload={}, channels=["x"])
        enqueue(session, kind="handoff", conversation_id="conv-anon", key="h3", payload={}, channels=["x"])
        ids = maria.id, ben.id
    add_events(
        tracker_url,
        [
            ("conv-maria-old", "user", now - 20, {"event": "user", "text": "hola 👋"}),
            ("conv-maria-old", "slot", now - 19, {"event": "slot", "name": "email", "value": MARIA.upper()}),
            ("conv-maria", "user", now - 10, {"event": "user", "text": f"{RTL} 🚀 {HIDDEN}"}),
            ("conv-maria", "slot", now - 9, {"event": "slot", "name": "email", "value": MARIA}),
            ("conv-maria", "bot", now - 8, {"event": "bot", "text": "شكرا! 🙏"}),
            ("conv-ben", "user", now - 7, {"event": "user", "text": f"ask my colleague {MARIA}"}),
            ("conv-ben", "slot", now - 6, {"event": "slot", "name": "email", "value": "ben@initech.example"}),
            ("conv-ben", "slot", now - 5, {"event": "slot", "name": "notes", "value": MARIA}),
            ("conv-anon", "user", now - 400 * DAY, {"event": "user", "text": "a year ago"}),
            ("conv-anon", "user", now - 1, {"event": "user", "text": "just now"}),
        ],
    )
    return Store(leads_url, tracker_url, *ids)


@pytest.fixture()
def store(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Store:
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_DB_URL", tracker_url)
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    return seed(database_url, tracker_url)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def remaining(url: str) -> tuple[list[str | None], list[tuple[str, int | None]]]:
    with transaction(url) as session:
        emails = list(session.scalars(select(Lead.email).order_by(Lead.id)))
        notifications = session.execute(
            select(Notification.conversation_id, Notification.lead_id).order_by(Notification.id)
        ).all()
    return emails, [tuple(row) for row in notifications]


def check_export(store: Store, out: str) -> None:
    document = json.loads(out)
    assert [lead["id"] for lead in document["leads"]] == [store.maria]
    [lead] = document["leads"]
    assert lead["person_name"] == NAME and lead["company"] == "Globex 🌐"
    assert lead["need_detail"] == f"{RTL} {HIDDEN}"  # verbatim, emoji, right-to-left and all
    assert lead["source"]["utm_campaign"] == "حملة"
    notifications = document["notifications"]
    assert [(item["conversation_id"], item["kind"]) for item in notifications] == [
        ("conv-maria", "sql_lead"),
        ("conv-maria", "sql_lead"),
        ("conv-maria", "handoff"),
        ("conv-maria-old", "handoff"),
    ]
    assert notifications[0]["payload"] == {"text": f"HOT lead: {NAME}", "need": RTL}
    conversations = {item["conversation_id"]: item["events"] for item in document["conversations"]}
    assert set(conversations) == {"conv-maria", "conv-maria-old"}  # the old one only through its email slot
    assert [event["type"] for event in conversations["conv-maria"]] == ["user", "slot", "bot"]
    assert conversations["conv-maria"][0]["data"]["text"] == f"{RTL} 🚀 {HIDDEN}"
    assert conversations["conv-maria"][2]["data"]["text"] == "شكرا! 🙏"
    assert isinstance(conversations["conv-maria"][0]["timestamp"], float)
    # nothing of anyone else, although Ben's conversation mentions Maria's address
    for other in ("ben", "initech", "conv-anon", "colleague", "a year ago"):
        assert other not in out.lower()
    # readable as is, but nothing in it can act on a terminal
    assert NAME in out and RTL in out
    assert "\x1b" not in out and "\u202e" not in out and "\\u202e" in out


def test_export_person_has_everything_of_that_person_and_nothing_of_others(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "export-person", "--email", "  Maria.Lopez@GLOBEX.example ")
    assert code == 0, err
    check_export(store, out)
    assert json.loads(out)["tracker_store"] == "read"


def test_export_person_to_a_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADS_CALLER_CWD", str(tmp_path))
    code, out, err = run(capsys, "export-person", "--email", MARIA, "--output", "maria.json")
    assert code == 0 and out == ""
    assert "wrote 1 leads, 4 notifications" in err and "5 conversation events" in err
    check_export(store, (tmp_path / "maria.json").read_text(encoding="utf-8"))


def test_export_of_an_unknown_person_is_empty(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export-person", "--email", "nobody@nowhere.example")
    document = json.loads(out)
    assert code == 0
    assert (document["leads"], document["notifications"], document["conversations"]) == ([], [], [])


def test_erase_shows_first_then_deletes_that_person_only(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    before = remaining(store.leads_url), event_senders(store.tracker_url)
    code, out, _ = run(capsys, "erase", "--email", MARIA)
    assert code == 0
    assert out.startswith(f"would delete the data of {MARIA}:")
    assert "leads: 1" in out and "notifications: 4" in out and "conversation events: 5" in out
    assert "nothing was deleted; run again with --yes" in out
    assert (remaining(store.leads_url), event_senders(store.tracker_url)) == before

    code, out, _ = run(capsys, "erase", "--email", MARIA.upper(), "--yes")
    assert code == 0
    assert out.startswith("deleted the data of")
    assert f"leads: 1 (ids {store.maria})" in out and "conversation events: 5" in out
    assert "conv-maria, conv-maria-old" in out
    emails, notifications = remaining(store.leads_url)
    assert emails == ["ben@initech.example"]
    assert notifications == [("conv-ben", store.ben), ("conv-anon", None)]
    assert event_senders(store.tracker_url) == ["conv-ben"] * 3 + ["conv-anon"] * 2

    code, out, _ = run(capsys, "erase", "--email", MARIA, "--yes")  # again: nothing left
    assert code == 0 and "leads: 0" in out and "conversation events: 0" in out


def test_erase_without_a_tracker_store_deletes_the_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    code, out, _ = run(capsys, "erase", "--email", MARIA, "--yes")
    assert code == 0 and "no tracker store at" in out
    assert remaining(store.leads_url)[0] == ["ben@initech.example"]
    assert not (tmp_path / "missing.db").exists()


def test_erase_deletes_nothing_when_the_tracker_store_is_broken(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.db"
    create_engine(f"sqlite:///{broken}").connect().close()  # a database without an events table
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{broken}")
    before = remaining(store.leads_url)
    code, _, err = run(capsys, "erase", "--email", MARIA, "--yes")
    assert code == 1
    assert "tracker store cannot be used" in err and "nothing was deleted" in err
    assert remaining(store.leads_url) == before
    code, out, err = run(capsys, "export-person", "--email", MARIA)  # the export still gives the rows
    assert code == 0 and "warning" in err
    assert json.loads(out)["leads"][0]["person_name"] == NAME


def age(store: Store, days: int) -> None:
    """Maria's lead was last updated, and the anonymous visitor's hand-off written, `days` ago."""
    then = utcnow() - timedelta(days=days)
    with transaction(store.leads_url) as session:
        session.get(Lead, store.maria).updated_at = then
        for notification in session.scalars(select(Notification).where(Notification.conversation_id == "conv-anon")):
            notification.created_at = then


def test_purge_respects_the_age(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    age(store, 400)
    before = remaining(store.leads_url), event_senders(store.tracker_url)
    code, out, _ = run(capsys, "purge", "--older-than-days", "500")
    assert code == 0 and "leads: 0" in out and "conversation events: 0" in out
    code, out, _ = run(capsys, "purge", "--older-than-days", "365")
    assert code == 0 and out.startswith("would delete the data older than 365 days")
    assert "leads: 1" in out and "conversation events: 4" in out  # Maria's conversation and one old event
    assert (remaining(store.leads_url), event_senders(store.tracker_url)) == before

    code, out, _ = run(capsys, "purge", "--older-than-days", "365", "--yes")
    assert code == 0 and out.startswith("deleted the data older than 365 days")
    emails, notifications = remaining(store.leads_url)
    assert emails == ["ben@initech.example"]
    # Maria's notifications and the year-old hand-off are gone; her older conversation is not expired
    assert notifications == [("conv-maria-old", None), ("conv-ben", store.ben)]
    assert event_senders(store.tracker_url) == ["conv-maria-old"] * 2 + ["conv-ben"] * 3 + ["conv-anon"]


def test_purge_days_from_retention_days(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "purge")
    assert code == 1 and "RETENTION_DAYS" in err
    monkeypatch.setenv("RETENTION_DAYS", "soon")
    assert run(capsys, "purge")[0] == 1
    monkeypatch.setenv("RETENTION_DAYS", "30")
    code, out, _ = run(capsys, "purge", "--yes")
    assert code == 0 and "older than 30 days" in out and "conversation events: 1" in out
    assert len(event_senders(store.tracker_url)) == 9


@pytest.mark.parametrize(
    "argv",
    [
        ["erase"],
        ["erase", "--email", "not-an-address"],
        ["export-person"],
        ["purge", "--older-than-days", "0"],
        ["purge", "--older-than-days", "x"],
    ],
)
def test_usage_errors_exit_2(store: Store, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and "usage:" in err


@pytest.fixture()
def postgres_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    with temporary_postgres_database() as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("TRACKER_DB_URL", url)
        monkeypatch.delenv("RETENTION_DAYS", raising=False)
        yield seed(url, url)


def test_on_postgresql(postgres_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """Aware timestamps, expanding IN lists and LIKE on PostgreSQL, lead store and events in one database."""
    store = postgres_store
    code, out, _ = run(capsys, "export-person", "--email", MARIA.upper())
    assert code == 0
    check_export(store, out)

    age(store, 400)
    code, out, _ = run(capsys, "purge", "--older-than-days", "365")
    assert "leads: 1" in out and "conversation events: 4" in out
    code, out, _ = run(capsys, "erase", "--email", MARIA, "--yes")
    assert code == 0 and "leads: 1" in out and "notifications: 4" in out and "conversation events: 5" in out
    assert remaining(store.leads_url) == (["ben@initech.example"], [("conv-ben", store.ben), ("conv-anon", None)])
    assert "mentions in other conversations: 2 events of 1 redacted" in out  # Ben's, typed as free text
    assert MARIA not in every_value(store.leads_url).lower() and NAME not in every_value(store.leads_url)
    assert event_senders(store.tracker_url) == ["conv-ben"] * 3 + ["conv-anon"] * 2

    code, out, _ = run(capsys, "purge", "--older-than-days", "365", "--yes")
    assert code == 0 and "leads: 0" in out and "notifications: 1" in out and "conversation events: 1" in out
    assert event_senders(store.tracker_url) == ["conv-ben"] * 3 + ["conv-anon"]


PHONE = "+14155552671"


def grep_state(state: Path, needles: list[bytes]) -> dict[str, int]:
    """How often each needle occurs in every file of the state directory (databases, -wal, logs)."""
    found: dict[str, int] = {}
    for path in sorted(state.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                if needle in data:
                    found[f"{path.name}:{needle.decode(errors='replace')}"] = data.count(needle)
    return found


@pytest.fixture()
def state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{state / 'leads.db'}")
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{state / 'tracker.db'}")
    monkeypatch.setenv("OUTBOX_LOG", str(state / "outbox.log"))
    monkeypatch.setenv("LEAD_SPOOL", str(state / "lead-spool.jsonl"))
    upgrade(f"sqlite:///{state / 'leads.db'}")
    return state


def test_erase_leaves_no_byte_of_the_person_in_any_file(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads_url, tracker_url = f"sqlite:///{state / 'leads.db'}", f"sqlite:///{state / 'tracker.db'}"
    links = TranscriptLinks("s3cret", "https://leads.example/t/{token}")
    routing = load_routing(Path("bot/qualification/reps.yml"))
    maria = dict(score=90, stage="SQL", temperature="hot", reasons=["fit"], consent=True, email=MARIA, company="Globex")
    store_lead(leads_url, lead_record("conv-maria", person_name=NAME, phone=PHONE, **maria), links=links,
               channels=["local_log"], routing=routing)  # fmt: skip
    store_lead(leads_url, lead_record("conv-maria-2", person_name=NAME, phone="+442079460958", **maria), links=links,
               channels=["local_log"], routing=routing)  # fmt: skip
    ben = dict(score=90, stage="SQL", temperature="hot", reasons=["fit"], consent=True, company="Initech")
    ben_lead = lead_record(
        "conv-ben", person_name="Ben Okafor", email="ben@initech.example", need_detail=f"ask {NAME} at {MARIA}", **ben
    )
    store_lead(leads_url, ben_lead, links=links, channels=["local_log"], routing=routing)
    dispatch_due(leads_url, {"local_log": LocalLogChannel(state / "outbox.log")})
    spool_lead(state / "lead-spool.jsonl", lead_record("conv-maria-3", email=MARIA, person_name=NAME, **{
        key: value for key, value in maria.items() if key != "email"}))  # fmt: skip
    now = utcnow().timestamp()
    add_events(
        tracker_url,
        [
            ("conv-maria", "user", now - 9, {"event": "user", "text": f"I'm {NAME}, call me on (415) 555-2671"}),
            ("conv-maria", "slot", now - 8, {"event": "slot", "name": "email", "value": MARIA}),
            ("conv-typed", "user", now - 7, {"event": "user", "text": f"hi, {NAME} here: {MARIA.upper()}"}),
            ("conv-typed", "user", now - 6, {"event": "user", "text": "or 415.555.2671 after five"}),
            ("conv-ben", "user", now - 5, {"event": "user", "text": "I'm Ben Okafor, ben@initech.example"}),
        ],
    )
    wal = create_engine(tracker_url)  # the tracker in WAL mode, as a busy store would be
    with wal.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    wal.dispose()
    needles = [MARIA.encode(), MARIA.upper().encode(), NAME.encode(), b"4155552671", b"415) 555-2671",
               b"415.555.2671", b"2079460958"]  # fmt: skip
    assert len(grep_state(state, needles)) >= 5  # leads.db(-wal), tracker.db(-wal), outbox.log, spool

    code, out, err = run(capsys, "erase", "--email", MARIA, "--yes")
    assert code == 0, err
    assert "leads: 2" in out and "people: 1" in out
    assert "mentions in other conversations: 2 events of 1 redacted" in out
    assert "lines removed" in out and "compacted (checkpoint and VACUUM): leads.db, tracker.db" in out
    assert grep_state(state, needles) == {}  # zero bytes of her email, phone or name in any file
    # Ben's own data stays; his answer that mentioned Maria is redacted
    assert grep_state(state, [b"ben@initech.example"])
    with transaction(leads_url) as session:
        [lead] = session.scalars(select(Lead))
        assert lead.email == "ben@initech.example" and lead.need_detail == "ask [erased] at [erased]"
    assert event_senders(tracker_url) == ["conv-typed", "conv-typed", "conv-ben"]
    for path in state.glob("*-wal"):
        assert path.stat().st_size == 0
