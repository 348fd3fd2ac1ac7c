"""A question added with the guide's recipe (YAML only) reaches everything downstream, with no code changed.

The company-size recipe of docs/marketers.md is applied to a copy of the project, which is trained and
started with a Slack webhook pointing at a local server on 127.0.0.1. A visitor qualifies through the
REST channel and answers the new question in their own words; the answer must then be in the lead row,
the rep's message in the outbox log, the Slack message and the CSV export, under the label the
recipe gives it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from integrations.store.migrate import upgrade
from tests.marketer.chat import Chat
from tests.marketer.project_copy import apply_recipe, copy_config, copy_project, stack_module, train
from tests.support.receivers import Received, Receivers

WORDS = "we're about 500 people"
ANSWER = {"question": "company_size", "label": "Company size", "category": "large", "text": WORDS}
QUALIFICATION = ["/need_defined", "/authority_decision_maker", "/budget_allocated", "/timeline_immediate"]
CONTACT = ["Ann Lee", "ann@globex.com", "Globex", "/skip", "/affirm"]


@dataclass
class Qualified:
    root: Path
    database_url: str
    outbox_log: Path
    slack: list[Received]
    chat: Chat


@pytest.fixture(scope="module")
def slack() -> Iterator[Receivers]:
    receivers = Receivers().start()
    yield receivers
    receivers.stop()


@pytest.fixture(scope="module")
def qualified(tmp_path_factory: pytest.TempPathFactory, slack: Receivers) -> Iterator[Qualified]:
    root = copy_project(tmp_path_factory.mktemp("everywhere") / "project")
    apply_recipe(root)
    train(root)
    stack = stack_module(root)
    config = copy_config(stack, root, extra_env={"SLACK_WEBHOOK_URL": f"{slack.base}/slack/services/T0/B0/x"})
    upgrade(config.database_url)
    processes = stack.Stack(config, log_dir=config.state_dir / "logs", web=False)
    try:
        processes.start()
        chat = Chat(config.rasa_url, config.rasa_token)
        for message in ["/request_demo", *QUALIFICATION]:
            chat.say(message)
        assert chat.asked() == "company_size", "the recipe's question is asked after the timeline"
        chat.say(WORDS)
        for message in CONTACT:
            chat.say(message)
        assert (chat.slots()["company_size"], chat.slots()["lead_stage"]) == ("large", "SQL")
        yield Qualified(root, config.database_url, config.outbox_log, wait_for(slack, "slack"), chat)
    finally:
        processes.stop()


def wait_for(receivers: Receivers, service: str, timeout: float = 60.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if received := receivers.on(service):
            return received
        time.sleep(0.2)
    raise AssertionError(f"nothing reached the fake {service} within {timeout} s")


def company_size(answers: list[dict[str, Any]]) -> dict[str, Any]:
    [answer] = [answer for answer in answers if answer.get("question") == "company_size"]
    return {key: answer.get(key) for key in ANSWER}


def test_the_lead_row_keeps_the_new_answer_with_the_others(qualified: Qualified) -> None:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from integrations.store.models import Lead

    engine = create_engine(qualified.database_url)
    try:
        with Session(engine) as session:
            lead = session.scalars(select(Lead).where(Lead.conversation_id == qualified.chat.id)).one()
            answers, need = lead.answers, (lead.need, lead.need_detail)
    finally:
        engine.dispose()
    assert [answer["question"] for answer in answers] == ["need", "authority", "budget", "timeline", "company_size"]
    assert company_size(answers) == ANSWER
    assert need == ("defined", answers[0]["text"])  # the BANT columns are still filled, for queries


def test_the_reps_message_shows_the_new_answer(qualified: Qualified) -> None:
    entries = [json.loads(line) for line in qualified.outbox_log.read_text(encoding="utf-8").splitlines()]
    [entry] = [item for item in entries if item["kind"] == "sql_lead" and item["conversation_id"] == qualified.chat.id]
    assert company_size(entry["answers"]) == ANSWER
    assert f'Company size: large - "{WORDS}"' in entry["text"].splitlines()
    assert "company_size: large (+10)" in entry["text"]  # and it was scored


def test_the_slack_message_shows_the_new_answer(qualified: Qualified) -> None:
    [message] = [item.json() for item in qualified.slack]
    fields = [field["text"] for block in message["blocks"] for field in block.get("fields") or []]
    assert f"*Company size:* large\n“{WORDS}”" in fields, fields


def test_the_csv_export_has_a_column_for_the_new_question(qualified: Qualified) -> None:
    env = {**os.environ, "DATABASE_URL": qualified.database_url}
    done = subprocess.run(
        [str(qualified.root / "scripts" / "leads"), "export", "--format", "csv"],
        cwd=qualified.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [row] = [row for row in csv.DictReader(io.StringIO(done.stdout)) if row["conversation_id"] == qualified.chat.id]
    assert (row["company_size"], row["company_size_detail"]) == ("large", WORDS)
    assert company_size(json.loads(row["answers"])) == ANSWER
