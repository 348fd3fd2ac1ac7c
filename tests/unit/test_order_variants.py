"""Order variants of the qualification questions (bot/qualification/orders.yml, integrations/variants.py):
sticky assignment in the configured ratio, the form asking in the assigned order, `make check`'s errors, and
`leads report` comparing the orders on generated conversations with known completion (real tracker store).
`make check`'s errors for orders.yml: tests/marketer/test_check_catches_mistakes.py."""

from __future__ import annotations

import asyncio
import random
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import MetaData, create_engine, insert

from bench.report_data import _Writer, events_table
from bot.actions.forms import ValidateQualificationForm
from integrations.leads import report
from integrations.variants import ORDER_KEY, Order, assign, in_order, orders_of
from tests.conftest import ROOT
from tests.unit.test_report import stores
from tests.unit.test_variants import visitor_ids
from tests.unit.trackers import DOMAIN, make_tracker

BANT = ["need", "authority", "budget", "timeline"]
BUDGET_FIRST = ["budget", "need", "authority", "timeline"]
ORDERS_YML = {
    "orders": [
        {"name": "bant", "share": 70, "questions": BANT},
        {"name": "budget_first", "share": 30, "questions": BUDGET_FIRST},
    ]
}
FORM = DOMAIN["forms"]["qualification_form"]["required_slots"]


def test_visitors_get_an_order_in_the_configured_ratio_and_keep_it() -> None:
    orders = orders_of(ORDERS_YML)
    assert [order.name for order in orders] == ["bant", "budget_first"]
    ids = visitor_ids(20_000, seed=7)
    counts = Counter(assign(sender, ORDER_KEY, orders).name for sender in ids)
    sigma = (0.3 * 0.7 / len(ids)) ** 0.5
    assert abs(counts["budget_first"] / len(ids) - 0.3) < 4 * sigma, counts
    for sender in ids[:200]:
        assert len({assign(sender, ORDER_KEY, orders).name for _ in range(5)}) == 1
    # the order is split on its own: independent of a wording test of the budget question
    wording = orders_of({"orders": [{"name": "a", "share": 1, "questions": BANT}, {"name": "b", "questions": BANT}]})
    pairs = Counter((assign(s, ORDER_KEY, orders).name, assign(s, "budget", wording).name) for s in ids)
    assert pairs[("budget_first", "b")] / len(ids) == pytest.approx(0.3 * 0.5, abs=0.015)
    assert orders_of({"orders": [ORDERS_YML["orders"][0]]}) == []  # one order is no test
    assert orders_of({"orders": [{**ORDERS_YML["orders"][0], "share": 0}, ORDERS_YML["orders"][1]]}) == []
    assert orders_of({"orders": []}) == [] and orders_of(None) == []


@pytest.fixture()
def with_orders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("questions.yml", "scoring.yml", "reps.yml"):
        shutil.copy(ROOT / "bot" / "qualification" / name, tmp_path / name)
    (tmp_path / "orders.yml").write_text(yaml.safe_dump(ORDERS_YML, sort_keys=False))
    monkeypatch.setenv("QUALIFICATION_DIR", str(tmp_path))
    return tmp_path


def sender_with(order: str) -> str:
    orders = orders_of(ORDERS_YML)
    return next(sender for sender in visitor_ids(100, seed=3) if assign(sender, ORDER_KEY, orders).name == order)


def required(tracker) -> list[str]:
    return asyncio.run(ValidateQualificationForm().required_slots(list(FORM), CollectingDispatcher(), tracker, DOMAIN))


def test_the_form_asks_in_the_visitor_s_order_and_records_it(with_orders: Path) -> None:
    for name, expected in (("bant", BANT), ("budget_first", BUDGET_FIRST)):
        tracker = make_tracker(
            "we need a demo", "request_demo", active_loop="qualification_form", sender_id=sender_with(name)
        )
        assert required(tracker) == expected
        events = asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, DOMAIN))
        # an order that is the domain's own leaves the request to Rasa's FormAction (rasa-sdk returns nothing)
        requested = [e["value"] for e in events if e.get("name") == "requested_slot"]
        assert requested == ([] if expected == FORM else [expected[0]])
        assert SlotSet("dialogue_variants", {ORDER_KEY: name}) in events
    # a recorded order wins (a changed split never moves a visitor), and other variants are kept
    sender = sender_with("bant")
    recorded = {"budget": "soft", ORDER_KEY: "budget_first"}
    tracker = make_tracker(slots={"dialogue_variants": recorded}, active_loop="qualification_form", sender_id=sender)
    assert required(tracker) == BUDGET_FIRST
    events = asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert not [e for e in events if e.get("name") == "dialogue_variants"]
    # a turn that fills nothing gets no event, so Rasa can still reject the form and answer a side question
    fresh = sender_with("budget_first")
    tracker = make_tracker(
        "how much does it cost?",
        "ask_pricing",
        slots={"requested_slot": "budget"},
        active_loop="qualification_form",
        sender_id=fresh,
    )
    events = asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert events == [SlotSet("requested_slot", "budget")]  # Rasa's rejection check ignores requested_slot
    assert required(tracker) == BUDGET_FIRST  # the order is still the hashed one
    # early answers are still skipped: the first unfilled question of the order is requested
    tracker = make_tracker(
        slots={"dialogue_variants": recorded, "budget": "allocated"}, active_loop="qualification_form", sender_id=sender
    )
    events = asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert SlotSet("requested_slot", "need") in events


def test_without_an_order_test_the_form_keeps_the_domain_s_order(with_orders: Path) -> None:
    (with_orders / "orders.yml").write_text("orders: []\n")
    tracker = make_tracker(active_loop="qualification_form")
    assert required(tracker) == FORM
    assert not [
        e
        for e in asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, DOMAIN))
        if e.get("name") == "dialogue_variants"
    ]
    (with_orders / "orders.yml").unlink()
    assert required(tracker) == FORM
    # a question the order does not list (a marketer's new one) keeps its place at the end
    assert in_order(["need", "authority", "budget", "timeline", "size"], Order("x", 1, None, tuple(BUDGET_FIRST))) == [
        *BUDGET_FIRST,
        "size",
    ]


START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc).timestamp()
# order -> the chance a visitor leaves at each question they are asked
DROP = {"bant": 0.03, "budget_first": 0.12}


def write_conversations(tracker_url: str, count: int) -> dict[str, Counter[str]]:
    """Conversations through the form in the visitor's order, with known drop-off; returns what was written."""
    orders = orders_of(
        {
            "orders": [
                {"name": "bant", "share": 50, "questions": BANT},
                {"name": "budget_first", "share": 50, "questions": BUDGET_FIRST},
            ]
        }
    )
    rng = random.Random(19)
    truth: dict[str, Counter[str]] = {"assigned": Counter(), "saw": Counter(), "answered": Counter(), "sql": Counter()}
    rows: list[dict[str, Any]] = []
    for index, sender in enumerate(visitor_ids(count, seed=11)):
        w, t = _Writer(sender), START + index * 60
        order = assign(sender, ORDER_KEY, orders)
        w.action(t, "action_session_start")
        w.user(t + 1, "we need a demo", "request_demo")
        w.add("active_loop", t + 2, {"name": "qualification_form"})
        w.slot(t + 2, "dialogue_variants", {ORDER_KEY: order.name})
        truth["assigned"][order.name] += 1
        truth["saw"][order.name] += 1
        completed = True
        for step, question in enumerate(order.questions):
            at = t + 3 + step * 10
            w.slot(at, "requested_slot", question)
            w.action(at, f"action_ask_{question}")
            if rng.random() < DROP[order.name]:
                completed = False
                break
            w.user(at + 5, f"{question} answer", f"{question}_x")
            w.slot(at + 5, question, "x")
        if completed:
            truth["answered"][order.name] += 1
            if rng.random() < 0.5:
                w.slot(t + 60, "lead_stage", "SQL")
                truth["sql"][order.name] += 1
        rows += w.rows
    engine = create_engine(tracker_url)
    metadata = MetaData()
    table = events_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
    engine.dispose()
    return truth


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_report_compares_the_orders(kind: str, tmp_path: Path) -> None:
    orders = orders_of(ORDERS_YML)
    questions = report.question_infos(ROOT / "bot" / "qualification" / "questions.yml")
    for tracker_url, store_url in stores(kind, tmp_path):
        truth = write_conversations(tracker_url, 1200)
        now = datetime(2026, 12, 1, tzinfo=timezone.utc)
        document = report.build_report(tracker_url, store_url, questions, None, None, now, orders)
        [item] = [item for item in document["variants"] if item["question"] == ORDER_KEY]
        rows = {row["variant"]: row for row in item["variants"]}
        for name in ("bant", "budget_first"):
            assert rows[name]["conversations"] == truth["assigned"][name]
            assert rows[name]["saw"] == truth["saw"][name]
            assert rows[name]["answered"] == truth["answered"][name]
            assert rows[name]["dropped"] == truth["saw"][name] - truth["answered"][name]
            assert rows[name]["sql"] == truth["sql"][name]
            low, high = rows[name]["completion_ci95"]
            assert low < rows[name]["completion_rate"] < high
        # bant keeps about 0.97**4 = 89 %, budget_first about 0.88**4 = 60 %
        assert item["verdict"].startswith("bant completes the question more often"), item["verdict"]
        # few visitors: the report says plainly that no winner can be called
        small = report.build_report(
            tracker_url, store_url, questions, None, datetime.fromtimestamp(START + 90 * 60, timezone.utc), now, orders
        )
        [item] = [item for item in small["variants"] if item["question"] == ORDER_KEY]
        assert item["verdict"].startswith("Not enough data to call a winner")
        rows_csv = report.csv_rows(document)
        assert ["variants", "order:bant", "answered", truth["answered"]["bant"]] in rows_csv
        html = io_html(document)
        assert "Order of the questions" in html and "budget_first" in html


def io_html(document: dict[str, Any]) -> str:
    import io

    out = io.StringIO()
    report.write(document, "html", out)
    return out.getvalue()
