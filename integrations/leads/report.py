"""`leads report`: where visitors drop off and which wording works, as HTML, CSV or JSON.

Reads Rasa's tracker store (TRACKER_DB_URL) and the lead store (DATABASE_URL), SQLite or PostgreSQL with the
same code, and the questions (with their variants) from bot/qualification/questions.yml as data. How to read
it: docs/marketers.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from integrations.answers import default_label
from integrations.leads import report_figures, report_html
from integrations.leads.export import csv_cell
from integrations.leads.report_events import read_conversations
from integrations.leads.report_figures import QuestionInfo
from integrations.leads.report_leads import read_leads
from integrations.leads.tracker_events import TrackerStoreError
from integrations.leads.transcripts import sqlite_path
from integrations.settings import PROJECT_ROOT
from integrations.variants import Order, orders_of, variants_of
from integrations.yaml_files import load_yaml

FORMATS = ("html", "csv", "json")


def moment(text: str) -> datetime:
    """2026-11-30 (midnight UTC) or an ISO 8601 time (UTC unless it says otherwise)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD) or ISO 8601 time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def until_moment(text: str) -> datetime:
    """--until 2026-11-30 includes that whole day; a time is the moment the report stops before."""
    parsed = moment(text)
    if len(text.strip()) == 10:  # a date alone
        return datetime.combine(date.fromisoformat(text.strip()) + timedelta(days=1), time(), timezone.utc)
    return parsed


def questions_file() -> Path:
    base = os.environ.get("QUALIFICATION_DIR") or PROJECT_ROOT / "bot" / "qualification"
    return Path(base) / "questions.yml"


def question_infos(path: Path) -> list[QuestionInfo]:
    config = load_yaml(path) or {}
    return [
        QuestionInfo(
            name,
            str((spec or {}).get("label") or default_label(name)) if isinstance(spec, dict) else default_label(name),
            variants_of(spec),
        )
        for name, spec in config.items()
    ]


def orders_in(path: Path) -> list[Order]:
    """The order variants of orders.yml beside questions.yml (optional file)."""
    return orders_of(load_yaml(path)) if path.exists() else []


def build_report(
    tracker_url: str,
    store_url: str,
    questions: list[QuestionInfo],
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    orders: list[Order] | None = None,
) -> dict[str, Any]:
    conversations = []
    path = sqlite_path(tracker_url)
    if path is None or path.exists():
        tracker = create_engine(tracker_url)
        try:
            conversations = read_conversations(
                tracker,
                [question.id for question in questions],
                since.timestamp() if since else None,
                until.timestamp() if until else None,
            )
        except SQLAlchemyError as error:
            reason = getattr(error, "orig", None) or error
            raise TrackerStoreError(f"the tracker store cannot be read: {reason}") from error
        finally:
            tracker.dispose()
    store = create_engine(store_url)
    try:
        leads, columns = read_leads(store, since, until)
    finally:
        store.dispose()
    return report_figures.build(conversations, leads, columns, questions, since, until, now, orders)


def write(report: dict[str, Any], kind: str, out: IO[str]) -> None:
    if kind == "json":
        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif kind == "csv":
        writer = csv.writer(out)
        writer.writerow(["section", "group", "metric", "value"])
        for row in csv_rows(report):
            writer.writerow([csv_cell(value) for value in row])
    else:
        out.write(report_html.render(report))


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report as long rows: section, group (step, question, page, variant…), metric, value."""
    rows: list[list[Any]] = [["summary", "", "conversations", report["conversations"]]]
    rows.append(["summary", "", "leads", report["leads"]])
    rows += [["range", "", key, value] for key, value in report["range"].items()]
    for step in report["funnel"]:
        rows += [["funnel", step["step"], "conversations", step["conversations"]]]
        rows += [["funnel", step["step"], "share", step["share"]]]
    for question in report["questions"]:
        rows += [
            ["questions", question["question"], key, value] for key, value in question.items() if key != "question"
        ]
    stages = report["stages"]
    rows += [["stages", "overall", stage, count] for stage, count in stages["overall"].items()]
    rows.append(["stages", "overall", "hot_rate", stages["hot_rate"]])
    for section in ("by_page", "by_utm_source", "by_utm_campaign", "by_week"):
        for group in stages[section]:
            rows += [
                [f"stages_{section}", group["group"], key, value] for key, value in group.items() if key != "group"
            ]
    handoff = report["handoff"]
    rows.append(["handoff", "", "hot_leads", handoff["hot_leads"]])
    for name in ("notified", "claimed", "first_contact", "bookings"):
        rows += [["handoff", name, key, value] for key, value in handoff[name].items()]
    for item in report["variants"]:
        for variant in item["variants"]:
            group = f"{item['question']}:{variant['variant']}"
            rows += [["variants", group, key, value] for key, value in variant.items() if key != "variant"]
        rows.append(["variants", item["question"], "verdict", item["verdict"]])
    return rows
