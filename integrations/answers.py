"""The visitor's answers to the qualification questions, as data.

The dialogue owns the questions (bot/qualification/questions.yml: their ids, labels and order); this
package never reads that file. The dialogue hands over one `Answer` per question, in the order it asks
them, and everything downstream (the lead row, the rep's notification, Slack, the CRMs, the leads CLI
and the export) shows those answers in that order with those labels, so a question a marketer adds
shows up everywhere without code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Questions that also have columns of their own on the lead (category and the visitor's words), so
# reports can filter on them in SQL; every answer, these included, is kept in `leads.answers`.
COLUMN_QUESTIONS = ("need", "authority", "budget", "timeline")
# The budget answer's amount, as its own columns and in the answer's `details`.
BUDGET_DETAILS = ("amount", "currency", "period")


@dataclass(frozen=True)
class Answer:
    """One question's answer: its id and label (from the dialogue), the category and the visitor's words.

    `category` is None when the question was not answered; `details` holds structured extras (the
    budget's amount, currency and period).
    """

    question: str
    label: str
    category: str | None = None
    text: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "question": self.question,
            "label": self.label,
            "category": self.category,
            "text": self.text,
        }
        if self.details:
            value["details"] = dict(self.details)
        return value

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Answer:
        question = str(value["question"])
        details = value.get("details")
        return cls(
            question=question,
            label=_text(value.get("label")) or default_label(question),
            category=_text(value.get("category")),
            text=None if value.get("text") is None else str(value["text"]),
            details=dict(details) if isinstance(details, Mapping) else {},
        )

    @property
    def shown(self) -> str:
        """`category - "words"`, only the category, or only the words: how the CRMs and hand-offs show it."""
        if self.category and self.text:
            return f'{self.category} - "{self.text}"'
        return self.category or (f'"{self.text}"' if self.text else "")


def default_label(question: str) -> str:
    """ "Company size" for `company_size`: the label of a question the dialogue gave none."""
    return question.replace("_", " ").strip().capitalize() or question


def answers_from_json(values: Any) -> list[Answer]:
    """The answers of a lead row or a payload; anything that is not a list of answers is no answers."""
    if not isinstance(values, list):
        return []
    answers = []
    for value in values:
        if isinstance(value, Mapping) and value.get("question"):
            answers.append(Answer.from_json(value))
    return answers


def answers_to_json(answers: Iterable[Answer]) -> list[dict[str, Any]]:
    return [answer.as_json() for answer in answers]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
