"""Turn a parsed visitor message into a BANT category, using the question being asked.

Rasa's NLU ranks every intent; when we know which question is open, we choose the best
ranked intent among that question's categories (plus generic yes/no/don't know answers),
which is far more accurate than trusting the overall top intent.
"""

from __future__ import annotations

from typing import Any, Mapping

from bot.actions.amounts import BudgetAmount, parse_budget_amount
from bot.actions.policy_files import load_yaml, qualification_file

# Messages with these top intents are side questions or requests, never answers.
INTERRUPTING_INTENTS = frozenset(
    {"faq", "ask_pricing", "ask_why", "human_handoff", "stop", "greet", "goodbye", "thanks", "out_of_scope"}
)
INTERRUPTION_CONFIDENCE = 0.6
# An answer to a question that was not asked yet is taken only when NLU is this sure.
UNASKED_CONFIDENCE = 0.8


def question_config() -> dict[str, Any]:
    return load_yaml(qualification_file("questions.yml"))


def top_intent(message: Mapping[str, Any]) -> tuple[str | None, float]:
    intent = message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def is_interruption(message: Mapping[str, Any]) -> bool:
    """True when the message is a side question or request rather than an answer."""
    name, confidence = top_intent(message)
    return name in INTERRUPTING_INTENTS and confidence >= INTERRUPTION_CONFIDENCE


def intent_confidences(message: Mapping[str, Any]) -> dict[str, float]:
    ranking = {item["name"]: float(item.get("confidence") or 0.0) for item in message.get("intent_ranking") or []}
    name, confidence = top_intent(message)
    if name:
        ranking.setdefault(name, confidence)
    return ranking


def categorize(slot: str, message: Mapping[str, Any], asked: bool) -> str | None:
    """Category for `slot` expressed by `message`, or None when it says nothing about it.

    asked: whether this question is the one currently open.
    """
    config = question_config()[slot]
    categories: list[str] = config["categories"]
    name, confidence = top_intent(message)
    if not asked:
        prefix = f"{slot}_"
        if name and name.startswith(prefix) and name[len(prefix) :] in categories:
            return name[len(prefix) :] if confidence >= UNASKED_CONFIDENCE else None
        return None
    if is_interruption(message):
        return None

    if name in (config.get("generic_answers") or {}):
        return config["generic_answers"][name]
    if _answers_another_question(slot, name, confidence):
        return None
    confidences = intent_confidences(message)
    best_category, best = None, 0.0
    for category in categories:
        score = confidences.get(f"{slot}_{category}", 0.0)
        if score > best:
            best_category, best = category, score
    return best_category


def _answers_another_question(slot: str, intent: str | None, confidence: float) -> bool:
    """A confident answer to a different question (it will fill that one instead)."""
    if not intent or confidence < UNASKED_CONFIDENCE:
        return False
    for other, config in question_config().items():
        if other != slot and intent.startswith(f"{other}_") and intent[len(other) + 1 :] in config["categories"]:
            return True
    return False


def budget_answer(message: Mapping[str, Any], asked: bool) -> tuple[str | None, BudgetAmount | None]:
    """Budget category plus the amount, if one was stated.

    An amount stated without a clear category ("about 20k") means money is available.
    """
    category = categorize("budget", message, asked)
    if category is None:
        return None, None
    amount = parse_budget_amount(message.get("text") or "")
    if amount and category == "unknown":
        category = "allocated"
    return category, amount
