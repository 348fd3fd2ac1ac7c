"""The questions as data: questions.yml's order and labels, and each answer with the visitor's words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.actions.questions import answers_of, questions
from tests.conftest import ROOT
from tests.unit.trackers import DOMAIN, make_tracker


def test_the_shipped_questions_in_order_with_their_labels() -> None:
    assert [(question.id, question.label) for question in questions()] == [
        ("need", "Need"),
        ("authority", "Authority"),
        ("budget", "Budget"),
        ("timeline", "Timeline"),
    ]


@pytest.fixture()
def with_company_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """questions.yml with a question a marketer added (without a label) and a domain with its slot and buttons."""
    config = yaml.safe_load((ROOT / "bot" / "qualification" / "questions.yml").read_text())
    config["company_size"] = {"categories": ["small", "large"]}
    (tmp_path / "questions.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    monkeypatch.setenv("QUALIFICATION_DIR", str(tmp_path))
    buttons = [{"title": "201+", "payload": "/company_size_large"}]
    responses = {**DOMAIN["responses"], "utter_ask_company_size": [{"text": "How many?", "buttons": buttons}]}
    return {**DOMAIN, "slots": {**DOMAIN["slots"], "company_size": {"type": "text"}}, "responses": responses}


def events_filling(slot: str, said: str, value: str) -> list[dict]:
    return [
        {"event": "user", "text": "hi"},
        {"event": "bot", "text": "How many?"},
        {"event": "user", "text": said},
        {"event": "slot", "name": slot, "value": value},
        {"event": "user", "text": "Ann Lee"},
        {"event": "slot", "name": "person_name", "value": "Ann Lee"},
    ]


def test_an_added_question_gets_a_label_and_the_words_that_answered_it(with_company_size: dict) -> None:
    tracker = make_tracker(
        slots={"need": "defined", "need_detail": "lead scoring", "company_size": "large"},
        events=events_filling("company_size", "we're about 500 people", "large"),
    )
    answers = answers_of(tracker, with_company_size)
    assert [answer.question for answer in answers] == ["need", "authority", "budget", "timeline", "company_size"]
    assert (answers[0].category, answers[0].text) == ("defined", "lead scoring")  # from need_detail
    assert (answers[1].category, answers[1].text) == (None, None)
    assert answers[-1].label == "Company size"
    assert (answers[-1].category, answers[-1].text) == ("large", "we're about 500 people")


def test_a_quick_reply_shows_as_its_title(with_company_size: dict) -> None:
    tracker = make_tracker(
        slots={"company_size": "large"}, events=events_filling("company_size", "/company_size_large", "large")
    )
    assert answers_of(tracker, with_company_size)[-1].text == "201+"


def test_the_budget_amount_travels_with_the_budget_answer() -> None:
    tracker = make_tracker(
        slots={"budget": "allocated", "budget_detail": "$40k", "budget_amount": 40000.0, "budget_currency": "USD"}
    )
    budget = answers_of(tracker, DOMAIN)[2]
    assert budget.details == {"amount": 40000.0, "currency": "USD", "period": None}
