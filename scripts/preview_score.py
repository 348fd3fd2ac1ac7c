"""`make preview-score`: what score, stage and temperature given answers get, before a policy goes live.

    make preview-score ANSWERS="need=defined authority=influencer budget=planned timeline=quarter"
    .venvs/actions/bin/python scripts/preview_score.py need=defined budget=planned --policy my-scoring.yml
    .venvs/actions/bin/python scripts/preview_score.py --all --policy my-scoring.yml

Uses the assistant's own scoring code (bot/actions/scoring.py), so the preview is exactly what a
visitor would get. With --policy, the live policy's result is shown next to it; --all compares the
two policies over every combination of answers.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import yaml

ROOT = Path(__file__).resolve().parent.parent

from bot.actions.policy_files import qualification_file  # noqa: E402
from bot.actions.scoring import Qualification, load_policy, qualify, scored_questions  # noqa: E402

LIVE = qualification_file("scoring.yml")


def parse_answers(pairs: list[str], questions: Mapping[str, Any], policy: Mapping[str, Any]) -> dict[str, str]:
    """{"need": "defined", ...} from ["need=defined", ...]; a typo is an error that lists the choices."""
    answers = {}
    for pair in pairs:
        question, _, answer = pair.partition("=")
        choices = categories(question, questions, policy)
        if not choices:
            known = ", ".join(dict.fromkeys([*questions, *scored_questions(policy)]))
            raise SystemExit(f"error: `{question}` is not a question (questions: {known})")
        if answer not in choices:
            raise SystemExit(f"error: `{answer}` is not an answer to {question} (answers: {', '.join(choices)})")
        answers[question] = answer
    return answers


def categories(question: str, questions: Mapping[str, Any], policy: Mapping[str, Any]) -> list[str]:
    known = list((questions.get(question) or {}).get("categories") or [])
    return list(dict.fromkeys([*known, *(policy.get("points", {}).get(question) or {})]))


def load_file(path: Path) -> dict[str, Any]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SystemExit(f"error: cannot read {path}: {error}") from error


def show(result: Qualification, label: str) -> None:
    print(f"Policy: {label}")
    print(f"Score:        {result.score} / 100")
    print(f"Stage:        {result.stage} ({result.temperature})")
    print(f"Follow up:    within {result.follow_up_hours} hours")
    print("Why:")
    for reason in result.reasons:
        print(f"  {reason}")


def brief(result: Qualification) -> str:
    return f"{result.score}, {result.stage} ({result.temperature})"


def compare_all(policy: Mapping[str, Any], live: Mapping[str, Any], questions: Mapping[str, Any]) -> None:
    """Stage counts over every combination of answers, under both policies, and how many change."""
    asked = scored_questions(policy)
    options = [categories(question, questions, policy) for question in asked]
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    for combination in itertools.product(*options):
        answers = dict(zip(asked, combination, strict=True))
        old, new = qualify(answers, live), qualify(answers, policy)
        before[old.stage] += 1
        after[new.stage] += 1
        if old.stage != new.stage:
            changed[f"{old.stage} -> {new.stage}"] += 1
    total = sum(before.values())
    print(f"All {total} combinations of answers to {', '.join(asked)}:")
    for stage in dict.fromkeys([*before, *after]):
        print(f"  {stage:<6} live {before[stage]:>5}   this policy {after[stage]:>5}")
    moved = sum(changed.values())
    print(f"{moved} combination(s) change stage" + (":" if moved else "."))
    for change, count in changed.most_common():
        print(f"  {change}: {count}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("answers", nargs="*", help="question=answer, e.g. budget=planned")
    parser.add_argument("--policy", type=Path, help="a scoring file to try (default: the live one)")
    parser.add_argument("--all", action="store_true", help="compare stages over every combination of answers")
    args = parser.parse_args(argv)
    live = load_policy()
    policy = load_file(args.policy) if args.policy else live
    questions = load_file(qualification_file("questions.yml"))
    label = str(args.policy) if args.policy else f"{LIVE.relative_to(ROOT)} (live)"
    try:
        if args.all:
            compare_all(policy, live, questions)
            return 0
        if not args.answers:
            parser.error('give answers, e.g. ANSWERS="need=defined budget=planned", or --all')
        answers = parse_answers(args.answers, questions, policy)
        show(qualify(answers, policy), label)
        if args.policy:
            print(f"With the live policy ({LIVE.relative_to(ROOT)}): {brief(qualify(answers, live))}")
    except (KeyError, TypeError, ValueError) as error:
        raise SystemExit(f"error: the policy cannot be used ({error!r}); run `make check` to see where") from error
    return 0


if __name__ == "__main__":
    sys.exit(main())
