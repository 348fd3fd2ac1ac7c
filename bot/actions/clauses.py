"""Answers to several questions in one message: "I'm the CTO at Acme, we need this live next month
with a 20k budget". The message is split into clauses and each clause is parsed by the running
Rasa server, so every clause is understood by the same model as a whole message."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import requests

from bot.actions.amounts import parse_budget_amount
from bot.actions.understanding import CLAUSE_MASS, budget_answer, question_answered
from integrations.settings import Settings

logger = logging.getLogger(__name__)

CLAUSE_SPLIT = re.compile(r"[,;.!?]+\s*|\s+(?:and|but|so|plus|also|with)\s+", re.IGNORECASE)
MAX_CLAUSES = 8
PARSE_TIMEOUT_SECONDS = 2.0
COMPANY_AFTER_ROLE = re.compile(
    r"\b(?:at|from|for|with)\s+(?P<company>[A-Z][\w&'.-]*(?:\s+(?:&\s+)?[A-Z][\w&'.-]*){0,3})"
)


@dataclass(frozen=True)
class ClauseAnswer:
    question: str
    category: str
    text: str
    message: dict[str, Any]


def split_clauses(text: str) -> list[str]:
    clauses = [part.strip() for part in CLAUSE_SPLIT.split(text or "") if part and len(part.split()) >= 2]
    return clauses[:MAX_CLAUSES]


class NluClient:
    """Parses text with Rasa's HTTP API (/model/parse); failures give no answer, never an error."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.params = {"token": token} if token else {}

    @classmethod
    def from_settings(cls) -> NluClient:
        """The client of this process's Rasa server (RASA_URL or RASA_PORT, RASA_TOKEN)."""
        settings = Settings.from_env()
        return cls(settings.rasa_url, settings.rasa_token)

    def parse(self, text: str) -> dict[str, Any] | None:
        try:
            response = requests.post(
                f"{self.url}/model/parse", json={"text": text}, params=self.params, timeout=PARSE_TIMEOUT_SECONDS
            )
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as error:
            logger.warning("clause parse failed: %s", error)
            return None


def clause_answers(text: str, client: NluClient, open_question: str | None = None) -> dict[str, ClauseAnswer]:
    """The confident answer to each question found in the clauses of `text` (first clause wins)."""
    clauses = split_clauses(text)
    if len(clauses) < 2:
        return {}
    answers: dict[str, ClauseAnswer] = {}
    for clause in clauses:
        message = client.parse(clause)
        if message is None:
            return answers
        found = question_answered(message, CLAUSE_MASS, open_question) or amount_answer(clause, message)
        if found and found[0] not in answers:
            answers[found[0]] = ClauseAnswer(found[0], found[1], clause, message)
    return answers


def amount_answer(clause: str, message: dict[str, Any]) -> tuple[str, str] | None:
    """("budget", category) for a clause that states an amount ("this is my budget (~2k/mo)")."""
    if not parse_budget_amount(clause):
        return None
    category, _ = budget_answer(message, asked=True)
    return ("budget", category) if category else None


def company_in_role_statement(text: str) -> str | None:
    """ "I'm the CTO at Acme" -> "Acme"."""
    match = COMPANY_AFTER_ROLE.search(text or "")
    return match.group("company").strip(" .") if match else None
