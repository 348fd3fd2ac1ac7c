"""A question added with the guide's recipe (YAML only) is understood and scored by the unchanged actions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.counts import stated_count
from bot.actions.early_answers import ValidateEarlyAnswersAndCorrections
from bot.actions.forms import ValidateQualificationForm
from bot.actions.scoring import load_policy, qualify
from tests.marketer.project_copy import apply_recipe, copy_project
from tests.unit.trackers import make_tracker


@pytest.fixture(scope="module")
def recipe_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("recipe") / "project")
    apply_recipe(root)
    return root


@pytest.fixture()
def domain(recipe_project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The copy's domain, with the actions reading the copy's bot/qualification files."""
    monkeypatch.setenv("QUALIFICATION_DIR", str(recipe_project / "bot" / "qualification"))
    yield yaml.safe_load((recipe_project / "bot" / "domain.yml").read_text())


def form_slots(domain: dict[str, Any], text: str, intent: str, confidence: float, **ranking: float) -> dict:
    tracker = make_tracker(
        text,
        intent,
        confidence,
        ranking or None,
        slots={"requested_slot": "company_size", "company_size": None},
        active_loop="qualification_form",
    )
    events = asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, domain))
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def test_quick_reply_fills_the_new_question(domain: dict[str, Any]) -> None:
    assert form_slots(domain, "/company_size_large", "company_size_large", 1.0)["company_size"] == "large"


def test_skip_means_unknown(domain: dict[str, Any]) -> None:
    assert form_slots(domain, "/skip", "skip", 1.0)["company_size"] == "unknown"


def test_a_stated_count_decides_over_the_language_model(domain: dict[str, Any]) -> None:
    slots = form_slots(
        domain, "we're about 40 people", "company_size_large", 0.5, company_size_large=0.5, company_size_small=0.3
    )
    assert slots["company_size"] == "small"


def test_an_answer_given_before_the_question_is_taken(domain: dict[str, Any]) -> None:
    tracker = make_tracker("300 employees", "company_size_large", 0.95, slots={"requested_slot": "need"})
    tracker.active_loop = {"name": "qualification_form"}
    events = asyncio.run(ValidateEarlyAnswersAndCorrections().run(CollectingDispatcher(), tracker, domain))
    assert [(event["name"], event["value"]) for event in events] == [("company_size", "large")]


def test_the_new_question_is_scored_and_explained(domain: dict[str, Any]) -> None:
    answers = {"need": "defined", "authority": "influencer", "budget": "planned", "timeline": "quarter"}
    without, with_size = qualify(answers, load_policy()), qualify({**answers, "company_size": "large"}, load_policy())
    assert (without.score, without.stage) == (70, "MQL")
    assert (with_size.score, with_size.stage) == (80, "SQL")
    assert "company_size: large (+10)" in with_size.reasons


def test_the_shipped_policy_scores_as_before() -> None:
    result = qualify({"need": "defined", "authority": "influencer", "budget": "planned", "timeline": "quarter"})
    assert (result.score, result.stage) == (70, "MQL")
    assert not any(reason.startswith("company_size") for reason in result.reasons)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("about 500 people", 500),
        ("10,000 employees worldwide", 10_000),
        ("5k employees", 5_000),
        ("over 200 staff", 201),
        ("between 51 and 200", 200),
        ("a team of six", 6),
        ("just me", None),
    ],
)
def test_stated_count(text: str, count: int | None) -> None:
    assert stated_count(text) == count
