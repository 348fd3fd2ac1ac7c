"""Score the answers to the qualification questions; pick a stage with the policy in bot/qualification/scoring.yml."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from bot.actions.policy_files import load_yaml, qualification_file
from bot.actions.understanding import question_names


@dataclass(frozen=True)
class Qualification:
    score: int
    stage: str
    temperature: str
    follow_up_hours: int
    reasons: list[str] = field(default_factory=list)


def load_policy() -> dict[str, Any]:
    return load_yaml(qualification_file("scoring.yml"))


def scored_questions(policy: Mapping[str, Any]) -> list[str]:
    """The questions of questions.yml in its order, then any other question the points or the stage gates name."""
    asked = question_names()
    extra = list(policy.get("points") or {})
    for stage in policy.get("stages") or []:
        extra += list(stage.get("require") or {})
    return [*asked, *dict.fromkeys(question for question in extra if question not in asked)]


def qualify(answers: Mapping[str, str | None], policy: Mapping[str, Any] | None = None) -> Qualification:
    """Score the answers; the first stage (top to bottom) whose conditions hold wins."""
    policy = policy or load_policy()
    # A slot holding anything but a category name (a list, a number...) counts as not answered.
    answers = {slot: answer if isinstance(answer, str) else None for slot, answer in answers.items()}
    points_table: Mapping[str, Mapping[str, int]] = policy["points"]
    reasons: list[str] = []
    score = 0
    for slot in scored_questions(policy):
        answer = answers.get(slot)
        points = int(points_table.get(slot, {}).get(answer, 0)) if answer else 0
        score += points
        shown = answer if answer else "not answered"
        reasons.append(f"{slot}: {shown} (+{points})")
    score = max(0, min(100, score))

    for stage in policy["stages"]:
        failed = _failed_conditions(stage, score, answers)
        if not failed:
            reasons.append(f"stage {stage['stage']}: score {score} >= {stage.get('min_score', 0)}")
            return Qualification(
                score=score,
                stage=stage["stage"],
                temperature=stage["temperature"],
                follow_up_hours=int(policy.get("follow_up_hours", {}).get(stage["stage"], 24)),
                reasons=reasons,
            )
        reasons.append(f"not {stage['stage']}: " + "; ".join(failed))
    raise ValueError("scoring.yml: no stage matched; the last stage should have min_score 0")


def _failed_conditions(stage: Mapping[str, Any], score: int, answers: Mapping[str, str | None]) -> list[str]:
    failed = []
    minimum = stage.get("min_score", 0)
    if score < minimum:
        failed.append(f"score {score} < {minimum}")
    for slot, allowed in (stage.get("require") or {}).items():
        if answers.get(slot) not in allowed:
            failed.append(f"{slot} is {answers.get(slot) or 'not answered'}, needs {' or '.join(allowed)}")
    return failed
