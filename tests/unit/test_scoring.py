"""The default policy of docs/design.md section 5, at every stage boundary."""

from __future__ import annotations

import pytest

from bot.actions.scoring import load_policy, qualify


def answers(need=None, authority=None, budget=None, timeline=None) -> dict:
    return {"need": need, "authority": authority, "budget": budget, "timeline": timeline}


@pytest.mark.parametrize(
    ("given", "score", "stage", "temperature"),
    [
        # the best possible lead
        (answers("defined", "decision_maker", "allocated", "immediate"), 100, "SQL", "hot"),
        # exactly 75 with the gates met: SQL
        (answers("defined", "influencer", "allocated", "quarter"), 85, "SQL", "hot"),
        (answers("defined", "decision_maker", "planned", "quarter"), 80, "SQL", "hot"),
        (answers("defined", "decision_maker", "allocated", "none"), 80, "MQL", "warm"),  # timeline gate fails
        (answers("defined", "influencer", "planned", "immediate"), 75, "SQL", "hot"),  # 75 is enough
        (answers("defined", "influencer", "planned", "quarter"), 70, "MQL", "warm"),  # 70 < 75
        (answers("exploring", "decision_maker", "allocated", "immediate"), 85, "MQL", "warm"),  # need gate fails
        (answers("defined", "decision_maker", "allocated", "later"), 85, "MQL", "warm"),  # later fails the gate
        # MQL starts at exactly 40
        (answers("defined", "influencer", "none", "none"), 40, "MQL", "warm"),
        (answers("exploring", "influencer", "none", "quarter"), 40, "MQL", "warm"),
        (answers("exploring", "influencer", "unknown", "later"), 30, "IQL", "cold"),
        (answers("none", "researcher", "none", "none"), 0, "IQL", "cold"),
        (answers("exploring", "researcher", "planned", "later"), 30, "IQL", "cold"),
        (answers("exploring", "influencer", "planned", "none"), 40, "MQL", "warm"),
        (answers("defined", "researcher", "unknown", "quarter"), 40, "MQL", "warm"),
        (answers("defined", "researcher", "none", "quarter"), 40, "MQL", "warm"),
        (answers("defined", "researcher", "none", "later"), 30, "IQL", "cold"),
    ],
)
def test_default_policy_boundaries(given, score, stage, temperature) -> None:
    result = qualify(given)
    assert (result.score, result.stage, result.temperature) == (score, stage, temperature)


def test_points_match_design_section_5() -> None:
    points = load_policy()["points"]
    assert points["budget"] == {"allocated": 30, "planned": 15, "none": 0, "unknown": 0}
    assert points["authority"] == {"decision_maker": 25, "influencer": 15, "researcher": 0}
    assert points["need"] == {"defined": 25, "exploring": 10, "none": 0}
    assert points["timeline"] == {"immediate": 20, "quarter": 15, "later": 5, "none": 0}


def test_unanswered_questions_score_zero_and_are_explained() -> None:
    result = qualify(answers(need="defined"))
    assert result.score == 25
    assert result.stage == "IQL"
    assert "budget: not answered (+0)" in result.reasons


def test_reasons_name_the_failed_gate() -> None:
    result = qualify(answers("defined", "decision_maker", "allocated", "later"))
    assert any(reason.startswith("not SQL:") and "timeline is later" in reason for reason in result.reasons)
    assert result.reasons[-1].startswith("stage MQL")


def test_follow_up_deadline_comes_from_the_policy() -> None:
    assert qualify(answers("defined", "decision_maker", "allocated", "immediate")).follow_up_hours == 24


def test_edited_policy_is_used_without_code_changes() -> None:
    policy = load_policy()
    edited = {**policy, "stages": [{**policy["stages"][0], "min_score": 90}, *policy["stages"][1:]]}
    assert qualify(answers("defined", "influencer", "allocated", "quarter"), edited).stage == "MQL"
