"""Run every check on a project and return the problems, most useful first."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterable

from bot.checks import domain_refs, nlu_refs, qualification_refs
from bot.checks.code_refs import scan
from bot.checks.problems import Problem
from bot.checks.project import load_project
from bot.checks.rasa_validate import rasa_problems


def guarded(check: Callable[[], Iterable[Problem]]) -> list[Problem]:
    """The problems a cross-check finds; a file too broken for it (already reported by its schema)
    stops that check, not the others."""
    found: list[Problem] = []
    try:
        for problem in check():
            found.append(problem)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as error:
        logging.getLogger(__name__).debug("check stopped on a malformed file: %r", error)
    return found


def check_project(root: Path, with_rasa: bool = True) -> list[Problem]:
    """Schemas, cross-references and (with_rasa) `rasa data validate`, without duplicates."""
    project = load_project(root)
    refs = scan(root)
    counts = nlu_refs.example_counts(project)
    checks: list[Callable[[], Iterable[Problem]]] = [
        lambda: domain_refs.form_problems(project, refs),
        lambda: domain_refs.code_response_problems(project, refs),
        lambda: domain_refs.response_problems(project, refs),
        lambda: domain_refs.rule_problems(project),
        lambda: domain_refs.unused_responses(project, refs),
        lambda: nlu_refs.duplicate_problems(project),
        lambda: nlu_refs.unknown_intent_problems(project),
        lambda: qualification_refs.question_problems(project, counts),
        lambda: qualification_refs.quick_reply_problems(project),
        lambda: qualification_refs.variant_problems(project),
        lambda: qualification_refs.order_problems(project),
        lambda: qualification_refs.scoring_problems(project, counts),
        lambda: qualification_refs.stage_problems(project),
        lambda: qualification_refs.reps_problems(project),
    ]
    problems = list(project.problems)
    for check in checks:
        problems += guarded(check)
    if with_rasa:
        seen = {(problem.file, problem.line) for problem in problems}
        problems += [problem for problem in rasa_problems(root) if (problem.file, problem.line) not in seen]
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=Problem.sort_key)
