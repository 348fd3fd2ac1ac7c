"""The qualification questions as data (bot/qualification/questions.yml) and a conversation's answers to them.

questions.yml is the one list of questions: its order is the order reps see the answers in, `label:` is
what they see each one called. The actions hand the answers to integrations/ as `Answer`s (id, label,
category, the visitor's words), so the store, the notifications, Slack, the CRMs, the leads CLI and the
export show a question a marketer adds without knowing about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.types import DomainDict

from bot.actions.understanding import question_config
from integrations.answers import Answer, default_label

MAX_WORDS = 1000  # characters of the visitor's words kept for a question without a `<question>_detail` slot


@dataclass(frozen=True)
class Question:
    id: str
    label: str


def questions() -> list[Question]:
    """Every qualification question, in the order of questions.yml."""
    return [
        Question(name, str((spec or {}).get("label") or default_label(name)))
        for name, spec in (question_config() or {}).items()
    ]


def question_ids() -> list[str]:
    return [question.id for question in questions()]


def answers_of(tracker: Tracker, domain: DomainDict) -> list[Answer]:
    """Each question's category and the visitor's words, in the order of questions.yml.

    The words come from the question's `<question>_detail` slot when the domain has one (the four BANT
    questions), otherwise from the message that filled the question (a quick reply shows as its title).
    """
    slots = domain.get("slots") or {}
    answers = []
    for question in questions():
        category = tracker.get_slot(question.id)
        category = category if isinstance(category, str) else None
        detail = f"{question.id}_detail"
        text = tracker.get_slot(detail) if detail in slots else words_that_filled(tracker, domain, question.id)
        details = {}
        if question.id == "budget" and tracker.get_slot("budget_amount") is not None:
            details = {name: tracker.get_slot(f"budget_{name}") for name in ("amount", "currency", "period")}
        answers.append(Answer(question.id, question.label, category, text, details))
    return answers


def words_that_filled(tracker: Tracker, domain: DomainDict, slot: str) -> str | None:
    """The visitor's message before the latest event that set `slot` to a value; a quick reply's title."""
    filled = False
    for event in reversed(tracker.events):
        if not filled and event.get("event") == "slot" and event.get("name") == slot:
            if event.get("value") is None:
                return None
            filled = True
        elif filled and event.get("event") == "user":
            return _shown(str(event.get("text") or "").strip(), domain, slot) or None
    return None


def _shown(text: str, domain: DomainDict, slot: str) -> str:
    if text.startswith("/"):
        for response in (domain.get("responses") or {}).get(f"utter_ask_{slot}", []):
            for button in response.get("buttons") or []:
                if button.get("payload") == text:
                    return str(button["title"])
    return text[:MAX_WORDS]
