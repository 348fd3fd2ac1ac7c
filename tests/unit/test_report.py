"""`leads report` on generated conversations with known drop-off and variant effects (bench/report_data.py),
written in Rasa's tracker-store schema to SQLite and to PostgreSQL: every figure matches what was written,
abandoned visitors count without any of their personal data, and missing hand-off columns are tolerated."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from bench.report_data import PII_EMAIL, PII_NAME, PII_PHONE, PII_WORDS, Profile, Truth, generate
from integrations.leads import report
from integrations.leads.cli import main
from integrations.leads.report_figures import QuestionInfo, verdict, wilson
from integrations.store.migrate import upgrade
from integrations.variants import Variant
from tests.conftest import ROOT
from tests.support.postgres import temporary_postgres_database

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
QUESTIONS = [
    QuestionInfo("need", "Need", []),
    QuestionInfo("authority", "Authority", []),
    QuestionInfo("budget", "Budget", [Variant("direct", 50), Variant("soft", 50, "Is money set aside?")]),
    QuestionInfo("timeline", "Timeline", []),
]


def stores(kind: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if kind == "sqlite":
        store = f"sqlite:///{tmp_path / 'leads.db'}"
        upgrade(store)
        yield f"sqlite:///{tmp_path / 'tracker.db'}", store
    else:
        with temporary_postgres_database("report_test") as url:  # tracker and lead store share it, as in production
            yield url, url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Truth]]:
    """Written once per database for the tests that only read (the generator needs no clock)."""
    for tracker, store in stores(request.param, tmp_path_factory.mktemp("generated")):
        yield tracker, store, generate(tracker, store, 2500, start=START)


def by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_every_figure_matches_what_was_generated(generated: tuple[str, str, Truth]) -> None:
    tracker, store, truth = generated
    document = report.build_report(tracker, store, QUESTIONS, None, None, START + timedelta(days=30))

    assert document["conversations"] == truth.conversations == 2500
    assert document["leads"] == truth.leads == sum(truth.stages.values())
    funnel = {row["step"]: row["conversations"] for row in document["funnel"]}
    assert funnel["chat opened"] == truth.opened
    assert funnel["first message"] == truth.first_message < truth.opened
    for question in ("need", "authority", "budget", "timeline"):
        assert funnel[f"{question.capitalize()} answered"] == truth.answered[question]
    assert funnel["contact form started"] == truth.contact_started
    assert funnel["consent given"] == truth.consent
    assert funnel["stage reached"] == sum(truth.stages.values())
    assert {stage: funnel[f"stage {stage}"] for stage in ("IQL", "MQL", "SQL")} == dict(truth.stages)

    for question, row in by(document["questions"], "question").items():
        assert row["saw"] == truth.saw[question]
        assert row["dropped"] == truth.dropped[question]
        assert row["answered_after_asking"] == truth.saw[question] - truth.dropped[question]
        assert row["answered_before_asked"] == truth.answered_early[question]
        assert row["clarified"] == truth.clarified[question]
        assert row["interrupted"] == truth.interrupted[question]
        assert row["re_asked"] == truth.re_asked[question]
        assert row["median_seconds_to_answer"] == pytest.approx(truth.median_wait(question), abs=0.11)
    budget = by(document["questions"], "question")["budget"]
    assert budget["drop_off_rate"] == round(truth.dropped["budget"] / truth.saw["budget"], 4)

    [variants] = document["variants"]
    for name, row in by(variants["variants"], "variant").items():
        assert row["conversations"] == truth.variant_assigned[name]
        assert row["saw"] == truth.variant_saw[name]
        assert row["answered"] == truth.variant_answered[name]
        assert row["sql"] == truth.variant_sql[name]
        low, high = row["completion_ci95"]
        assert low < row["completion_rate"] < high
    # generated with 30 % drop-off for `direct` and 10 % for `soft`: ~600 visitors each, a clear difference
    assert variants["verdict"].startswith("soft completes the question more often")

    stages = document["stages"]
    pages = by(stages["by_page"], "group")
    assert {page: row["leads"] for page, row in pages.items()} == {
        page: sum(counts.values()) for page, counts in truth.stages_by_page.items()
    }
    assert {page: row["SQL"] for page, row in pages.items()} == {
        page: counts["SQL"] for page, counts in truth.stages_by_page.items()
    }
    weeks = by(stages["by_week"], "group")
    assert {week: (row["IQL"], row["MQL"], row["SQL"]) for week, row in weeks.items()} == {
        week: (counts["IQL"], counts["MQL"], counts["SQL"]) for week, counts in truth.stages_by_week.items()
    }
    assert set(by(stages["by_utm_campaign"], "group")) == {"(none)", "q4", "brand", "abm"}

    handoff = document["handoff"]
    assert handoff["hot_leads"] == truth.stages["SQL"] == len(truth.notify_waits)
    assert handoff["notified"]["median_seconds"] == pytest.approx(median(truth.notify_waits), abs=0.11)
    # the lead store records claims and bookings (migrations 0007, 0008); the generated leads have none
    assert handoff["claimed"] == {"recorded": True, "leads": 0, "median_seconds": None}
    assert handoff["bookings"]["recorded"] is True


def test_since_and_until_keep_the_conversations_that_started_between(generated: tuple[str, str, Truth]) -> None:
    tracker, store, truth = generated
    since, until = START + timedelta(days=7), START + timedelta(days=14)
    document = report.build_report(tracker, store, QUESTIONS, since, until, START + timedelta(days=30))
    expected = sum(1 for started in truth.started if since.timestamp() <= started < until.timestamp())
    assert document["conversations"] == expected and 0 < expected < truth.conversations
    assert document["range"]["since"] == since.isoformat()
    assert all(row["group"] in ("2026-W46", "2026-W47") for row in document["stages"]["by_week"])


# many leave during the contact form; the `soft` wording gets a fifth of visitors: too few to call a winner
SMALL_TEST = Profile(leave_contact=0.6, budget_variants={"direct": (80, 0.3), "soft": (20, 0.1)})


@pytest.fixture()
def cli_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Truth]:
    tracker, store = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'leads.db'}"
    upgrade(store)
    truth = generate(tracker, store, 400, start=START, profile=SMALL_TEST)
    engine = create_engine(store)
    with engine.begin() as connection:  # a visitor's page address is data, never markup
        connection.execute(
            text("UPDATE leads SET source = :source WHERE id = 1"),
            {
                "source": json.dumps(
                    {"page_url": "https://acme.example/<script>alert(1)</script>", "utm_source": "=1+2"}
                )
            },
        )
    engine.dispose()
    questions = yaml.safe_load((ROOT / "bot" / "qualification" / "questions.yml").read_text())
    questions["budget"]["variants"] = [{"name": "direct", "share": 80}, {"name": "soft", "share": 20, "text": "Money?"}]
    (tmp_path / "questions.yml").write_text(yaml.safe_dump(questions, sort_keys=False))
    for name, value in (("DATABASE_URL", store), ("TRACKER_DB_URL", tracker), ("QUALIFICATION_DIR", str(tmp_path))):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADS_CALLER_CWD", str(tmp_path))
    return tracker, store, truth


def test_the_command_writes_html_csv_and_json_without_any_personal_data(
    cli_stores: tuple[str, str, Truth], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, truth = cli_stores
    # visitors who typed their name and email and left before consent are counted, from their answers only
    assert truth.contact_started - truth.consent > 50
    outputs = {}
    for kind in ("html", "csv", "json"):
        assert main(["report", "--format", kind, "--output", f"report.{kind}"]) == 0
        assert "wrote the report of 400 conversations" in capsys.readouterr().err
        outputs[kind] = (tmp_path / f"report.{kind}").read_text(encoding="utf-8")
    assert main(["report", "--format", "json", "--since", "2026-11-01", "--until", "2026-11-30"]) == 0
    assert json.loads(capsys.readouterr().out)["conversations"] == 400
    for kind, output in outputs.items():
        for secret in (PII_NAME, PII_EMAIL, PII_PHONE, PII_WORDS, "Bluebird", "zelda"):
            assert secret.lower() not in output.lower(), (kind, secret)
    document = json.loads(outputs["json"])
    funnel = {row["step"]: row["conversations"] for row in document["funnel"]}
    assert funnel["contact form started"] == truth.contact_started and funnel["consent given"] == truth.consent
    assert document["variants"][0]["verdict"].startswith("Not enough data to call a winner")
    rows = list(csv.reader(io.StringIO(outputs["csv"])))
    assert rows[0] == ["section", "group", "metric", "value"]
    assert ["summary", "", "conversations", "400"] in rows
    assert ["variants", "budget:soft", "saw", str(truth.variant_saw["soft"])] in rows
    assert ["stages_by_utm_source", "'=1+2", "leads", "1"] in rows  # no formula for a spreadsheet to run
    html = outputs["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "Not enough data to call a winner" in html and "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://acme" not in html


def test_wrong_usage_and_a_missing_tracker_store(cli_stores, monkeypatch, tmp_path, capsys) -> None:
    assert main(["report", "--since", "2026-11-20", "--until", "2026-11-10"]) == 1
    assert "--since must be before --until" in capsys.readouterr().err
    assert main(["report", "--since", "last tuesday"]) == 2
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'none.db'}")
    assert main(["report", "--format", "json"]) == 0  # leads only: no conversation events yet
    assert json.loads(capsys.readouterr().out)["conversations"] == 0
    assert not (tmp_path / "none.db").exists()


def test_claim_contact_and_booking_figures_come_from_the_lead_store(tmp_path: Path) -> None:
    tracker, store = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'leads.db'}"
    upgrade(store)
    truth = generate(tracker, store, 600, start=START)
    engine = create_engine(store)
    with engine.begin() as connection:  # claims (speed-to-lead) and one booking (in-chat booking)
        hot = [row[0] for row in connection.execute(text("SELECT id FROM leads WHERE stage = 'SQL' ORDER BY id"))]
        for number, lead_id in enumerate(hot):
            created = connection.execute(text("SELECT created_at FROM leads WHERE id = :id"), {"id": lead_id}).scalar()
            at = datetime.fromisoformat(str(created)) + timedelta(seconds=60 * (number + 1))
            connection.execute(text("UPDATE leads SET claimed_at = :at WHERE id = :id"), {"at": at, "id": lead_id})
        connection.execute(
            text(
                "INSERT INTO bookings (rep_email, rep_name, start_at, end_at, status, lead_id, conversation_id,"
                " sequence, created_at, updated_at) VALUES ('priya@acme.example', 'Priya', :at, :at, 'booked',"
                " :id, 'c-1', 0, :at, :at)"
            ),
            {"id": hot[0], "at": START},
        )
    engine.dispose()
    handoff = report.build_report(tracker, store, QUESTIONS, None, None, START)["handoff"]
    assert handoff["claimed"] == {"recorded": True, "leads": len(hot), "median_seconds": median(
        60.0 * (number + 1) for number in range(len(hot)))}  # fmt: skip
    assert handoff["first_contact"] == {"recorded": True, "leads": 0, "median_seconds": None}
    assert handoff["bookings"] == {"recorded": True, "booked": 1, "booking_rate": round(1 / len(hot), 4)}
    assert truth.stages["SQL"] == len(hot) > 1


def test_the_wilson_interval_and_the_verdict() -> None:
    assert wilson(0, 0) is None
    assert wilson(81, 263) == (0.2553, 0.3662)  # the worked example of Wilson's score interval at 95 %
    low, high = wilson(10, 10)
    assert high == 1.0 and low == pytest.approx(0.7225, abs=1e-4)
    small = [{"saw": 99, "completion_rate": 0.9}, {"saw": 500, "completion_rate": 0.1}]
    assert verdict(small).startswith("Not enough data to call a winner") and "(the smallest has 99)" in verdict(small)
    close = [
        {"variant": name, "saw": 400, "completion_rate": p, "completion_ci95": wilson(int(p * 400), 400),
         "sql_rate": 0.1, "sql_ci95": wilson(40, 400)}
        for name, p in (("a", 0.80), ("b", 0.82))
    ]  # fmt: skip
    assert verdict(close) == (
        "No winner on how often it completes the question: the 95 % intervals overlap. "
        "No winner on how often it gives SQLs: the 95 % intervals overlap."
    )
