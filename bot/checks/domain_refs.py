"""Cross-references inside bot/domain.yml and from the rules and the code to it."""

from __future__ import annotations

import difflib
import re
from typing import Any, Iterable, Iterator

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.checks.code_refs import CodeRefs
from bot.checks.problems import WARNING, Problem
from bot.checks.project import DOMAIN, Project

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Responses Rasa itself may send, and prefixes the code completes at run time.
RASA_RESPONSES = frozenset({"utter_default", "utter_ask_rephrase", "utter_restart", "utter_back"})
DYNAMIC_PREFIXES = ("utter_ask_", "utter_why_", "utter_next_step_", "utter_clarify_")


def intent_names(domain: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for intent in domain.get("intents") or []:
        names.update(intent if isinstance(intent, dict) else [intent])
    return names


def has_response(domain: dict[str, Any], name: str) -> bool:
    """True for `utter_x`, and for a retrieval action `utter_faq` when `utter_faq/...` responses exist."""
    responses = domain.get("responses") or {}
    return name in responses or any(key.startswith(f"{name}/") for key in responses)


def form_problems(project: Project, refs: CodeRefs) -> Iterator[Problem]:
    """Each question of a form: a declared slot, its wording, its "why", and something that fills it."""
    domain = project.domain
    if domain is None:
        return
    file, slots, actions = project.files[DOMAIN], domain.get("slots") or {}, set(domain.get("actions") or [])
    questions = project.questions or {}
    for form, spec in (domain.get("forms") or {}).items():
        for index, slot in enumerate(spec.get("required_slots") or []):
            path = ["forms", form, "required_slots", index]
            if slot not in slots:
                yield file.problem(
                    path,
                    f"{form} asks `{slot}`, but there is no slot `{slot}` under `slots:`",
                    f"Add `{slot}:` under `slots:` in bot/domain.yml (copy the `timeline:` slot: type text, "
                    f"influence_conversation false, a custom mapping), or check the spelling.",
                )
            # a qualification question's action_ask_<slot> (bot/actions/clarify.py) says utter_ask_<slot> too
            asked_by_own_action = f"action_ask_{slot}" in actions and slot not in questions
            if not has_response(domain, f"utter_ask_{slot}") and not asked_by_own_action:
                yield file.problem(
                    path,
                    f"{form} asks `{slot}`, but there is no response `utter_ask_{slot}` (the question's wording)",
                    f"Add `utter_ask_{slot}:` under `responses:` with the question's text and quick replies, "
                    f"or remove `{slot}` from the form.",
                )
            if not has_response(domain, f"utter_why_{slot}"):
                yield file.problem(
                    path,
                    f"{form} asks `{slot}`, but there is no response `utter_why_{slot}` "
                    '(the answer to "why do you ask?")',
                    f"Add `utter_why_{slot}:` under `responses:` with one sentence on why you ask.",
                )
            if slot in slots and slot not in questions and slot not in refs.extracted_slots:
                yield file.problem(
                    path,
                    f"nothing fills `{slot}`: it is not a question in bot/qualification/questions.yml",
                    f"Add `{slot}:` with its `categories:` to bot/qualification/questions.yml (docs/marketers.md, "
                    '"Adding a question").',
                )


def code_response_problems(project: Project, refs: CodeRefs) -> Iterator[Problem]:
    """Responses the Python actions send must exist (they may be reworded, not removed)."""
    domain = project.domain
    if domain is None:
        return
    file = project.files[DOMAIN]
    for name, where in sorted(refs.responses.items()):
        if not has_response(domain, name):
            yield file.problem(
                ["responses"],
                f"the assistant sends the response `{name}` ({where}), but it is not under `responses:`",
                f"Add `{name}:` back under `responses:` with its text; you may reword it, not remove it.",
            )


def response_problems(project: Project, refs: CodeRefs) -> Iterator[Problem]:
    """Quick replies send known intents; {placeholders} are filled by a slot or by the actions."""
    domain = project.domain
    if domain is None:
        return
    file, intents = project.files[DOMAIN], intent_names(domain)
    known = set(domain.get("slots") or {}) | refs.variables
    for name, variations in (domain.get("responses") or {}).items():
        for index, variation in enumerate(variations):
            for placeholder in PLACEHOLDER.findall(variation.get("text") or ""):
                if placeholder not in known:
                    yield file.problem(
                        ["responses", name, index, "text"],
                        f"`{name}` shows {{{placeholder}}}, which the assistant never fills in "
                        "(the visitor would see it as it is)",
                        f"Use a slot name or one of {_braced(refs.variables)}, or remove the braces.",
                    )
            for number, button in enumerate(variation.get("buttons") or []):
                payload = str(button.get("payload") or "")
                intent = payload[1:].split("{")[0].split("@")[0]
                if payload.startswith("/") and intent not in intents:
                    yield file.problem(
                        ["responses", name, index, "buttons", number, "payload"],
                        f'the quick reply "{button.get("title")}" of `{name}` sends `{payload}`, '
                        f"but there is no intent `{intent}`",
                        _did_you_mean(intent, intents, prefix="/")
                        + f"Use an intent listed under `intents:`, or add `- {intent}` there and give it examples "
                        "in bot/data/nlu.",
                    )


def rule_problems(project: Project) -> Iterator[Problem]:
    """Responses the rules run must exist."""
    domain = project.domain
    if domain is None:
        return
    for rel in project.rule_files:
        file = project.files[rel]
        for line, action in _actions_in(file.data):
            if action.startswith("utter_") and not has_response(domain, action):
                yield Problem(
                    rel,
                    line,
                    f"this rule runs `{action}`, but bot/domain.yml has no response `{action}`",
                    _did_you_mean(action, domain.get("responses") or {})
                    + f"Add `{action}:` under `responses:` in bot/domain.yml, or change the rule to a response "
                    "that exists.",
                )


def _braced(names: set[str]) -> str:
    return ", ".join("{" + name + "}" for name in sorted(names))


def _did_you_mean(name: str, candidates: Iterable[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"Did you mean `{prefix}{close[0]}`? " if close else ""


def _actions_in(node: Any) -> Iterator[tuple[int, str]]:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if key == "action" and isinstance(value, str):
                yield node.lc.key(key)[0] + 1, value
            else:
                yield from _actions_in(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            yield from _actions_in(item)


def unused_responses(project: Project, refs: CodeRefs) -> Iterator[Problem]:
    """Responses nothing sends: usually a misspelt name. A warning, never an error."""
    domain, file = project.domain, project.file(DOMAIN)
    if domain is None or file is None:
        return
    used = set(refs.responses) | RASA_RESPONSES
    for rel in project.rule_files:
        used.update(action for _, action in _actions_in(project.files[rel].data))
    for name in domain.get("responses") or {}:
        base = name.split("/")[0]
        if name in used or base in used or name.startswith(DYNAMIC_PREFIXES):
            continue
        yield file.problem(
            ["responses", name],
            f"nothing sends the response `{name}`",
            "Check the name against the rule or question that should use it; delete it if it is no longer needed.",
            WARNING,
        )
