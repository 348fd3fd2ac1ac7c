"""Turn a parsed visitor message into a BANT category, using the question being asked.

Rasa's NLU ranks every intent; when we know which question is open, we choose the best
ranked category of that question (plus generic yes/no/don't know answers), which is far
more accurate than trusting the overall top intent.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Mapping

from bot.actions.amounts import BudgetAmount, parse_budget_amount
from bot.actions.counts import category_by_count
from bot.actions.durations import PRESENT_DURATION_RE, days_until, timeline_category, without_billing_periods
from bot.actions.needs import HEDGE_RE, denies_need, states_need
from bot.actions.policy_files import load_yaml, qualification_file
from bot.actions.roles import stated_authority

# Messages with these top intents are side questions or requests, never answers.
INTERRUPTING_INTENTS = frozenset(
    {"faq", "ask_pricing", "ask_why", "human_handoff", "stop", "greet", "goodbye", "thanks", "out_of_scope"}
)
# A statement is only taken for a side question when NLU is very sure; a question needs less.
INTERRUPTION_CONFIDENCE = 0.9
QUESTION_INTERRUPTION_CONFIDENCE = 0.5
QUESTION_RE = re.compile(
    r"\?\s*$|^\s*(?:what|why|how|which|who|where|when|is|are|do|does|can|could|will|would)\b", re.IGNORECASE
)
# An answer to a question that was not asked yet is taken only when NLU is this sure.
UNASKED_CONFIDENCE = 0.8
# When NLU confidently reads a message as another question's answer, the open question's categories
# must hold at least this much belief for the message to answer it too ("we need it within 2 months"
# at the role question is a timeline, not a role).
ABSENT_CONFIDENCE = 0.1
CORRECTION_CUE_RE = re.compile(
    r"\b(?:actually|sorry|correction|i meant|to correct|updated?|changed?|instead|more like)\b", re.IGNORECASE
)
# How much of NLU's belief must go to one question for a message to answer it unasked.
UNASKED_MASS = 0.8
CORRECTION_MASS = 0.4
CLAUSE_MASS = 0.4
NEGATION_RE = re.compile(r"\b(?:no|not|zero|nothing|none|nope|never|nil)\b", re.IGNORECASE)
# An "unknown" budget is said with one of these: "no idea", "not sure", "confidential", "rather not say".
UNSURE_RE = re.compile(
    r"\b(?:know|knows|idea|clue|sure|unsure|confidential|private|share|sharing|disclose|say|tell|told|"
    r"privy|visibility|depends|check|tbd|unknown|dunno|idk)\b",
    re.IGNORECASE,
)
# A "none" budget is said with one of these: "we have money for it" holds the topic but no negation.
NO_MONEY_RE = re.compile(
    r"\b(?:no|not|zero|nothing|none|nope|never|nil|nada|zilch|free|broke|freeze|frozen|cut|tight|penny|cent)\b"
    r"|n't\b|\b0\b|[$€£]\s*0\b",
    re.IGNORECASE,
)


def question_config() -> dict[str, Any]:
    return load_yaml(qualification_file("questions.yml"))


def question_names() -> list[str]:
    """Every qualification question: the four BANT ones and any a marketer added in questions.yml."""
    return list(question_config() or {})


def top_intent(message: Mapping[str, Any]) -> tuple[str | None, float]:
    intent = message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def looks_like_question(text: str) -> bool:
    return bool(QUESTION_RE.search(text or ""))


# Greetings and thanks that make up a whole message; anything more ("Maria Hi") is an answer.
PLEASANTRY_INTENTS = frozenset({"greet", "thanks", "goodbye"})
ONLY_PLEASANTRY_RE = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|howdy|yo|good\s+(?:morning|afternoon|evening|day)|thanks|thank\s+you|thx|cheers|"
    r"bye|goodbye|see\s+you|there|again|a\s+lot|so\s+much|very\s+much)\W*)+$",
    re.IGNORECASE,
)


def is_interruption_of_free_text(message: Mapping[str, Any]) -> bool:
    """Like is_interruption, for questions answered in free text (name, company): a message read as a
    greeting or thanks is still the answer unless it holds nothing but pleasantries."""
    name, _ = top_intent(message)
    if name in PLEASANTRY_INTENTS and not ONLY_PLEASANTRY_RE.match(message.get("text") or ""):
        return False
    return is_interruption(message)


# A statement read as an FAQ is a side question only when it asks for something ("tell me about your
# integrations", "pricing info please"); "churn prediction for our accounts" is an answer.
REQUEST_RE = re.compile(
    r"^\W*(?:please\s+|pls\s+|ok\s+|so\s+)?(?:tell|give|show|explain|send|describe|walk|share|info|information|"
    r"details|overview)\b|\b(?:tell me|tell us|explain|more about|info (?:on|about)|information (?:on|about)|"
    r"details (?:on|about)|please)\b",
    re.IGNORECASE,
)


def is_interruption(message: Mapping[str, Any]) -> bool:
    """True when the message is a side question or request rather than an answer."""
    name, confidence = top_intent(message)
    if name not in INTERRUPTING_INTENTS:
        return False
    text = message.get("text") or ""
    if name == "faq" and not looks_like_question(text) and not REQUEST_RE.search(text):
        return False
    if confidence >= INTERRUPTION_CONFIDENCE:
        return True
    return confidence >= QUESTION_INTERRUPTION_CONFIDENCE and looks_like_question(message.get("text") or "")


def intent_confidences(message: Mapping[str, Any]) -> dict[str, float]:
    ranking = {item["name"]: float(item.get("confidence") or 0.0) for item in message.get("intent_ranking") or []}
    name, confidence = top_intent(message)
    if name:
        ranking.setdefault(name, confidence)
    return ranking


def category_of_intent(intent: str | None) -> tuple[str, str] | None:
    """("budget", "none") for the intent "budget_none"; None for intents that are no BANT category."""
    if not intent:
        return None
    for question, config in question_config().items():
        if intent.startswith(f"{question}_") and intent[len(question) + 1 :] in config["categories"]:
            return question, intent[len(question) + 1 :]
    return None


def category_scores(slot: str, message: Mapping[str, Any]) -> dict[str, float]:
    """NLU's belief in each of the question's categories, generic answers ("no", "not sure") included."""
    config = question_config()[slot]
    confidences = intent_confidences(message)
    scores = {category: confidences.get(f"{slot}_{category}", 0.0) for category in config["categories"]}
    for intent, category in (config.get("generic_answers") or {}).items():
        scores[category] = max(scores.get(category, 0.0), confidences.get(intent, 0.0))
    return scores


def category_shares(slot: str, message: Mapping[str, Any]) -> dict[str, float]:
    """Each category's share of the belief NLU gives the question's categories (summing to 1, or all 0).

    A clicked quick reply, a short generic answer ("no", "not sure") or a count decides alone.
    """
    config = question_config()[slot]
    categories: list[str] = config["categories"]
    name, _ = top_intent(message)
    generic = config.get("generic_answers") or {}
    text = message.get("text") or ""
    scores = category_scores(slot, message)
    decided = (
        category_by_count(text, config.get("number_ranges"))
        or generic.get(name or "")
        or stated_reading(slot, text, scores)
    )
    clicked = category_of_intent(name)
    if text.startswith("/") and clicked and clicked[0] == slot:
        decided = clicked[1]
    if decided:
        return {category: float(category == decided) for category in categories}
    scores = without_misread_none(slot, text, scores)
    total = sum(scores.values())
    leading = leading_generic_answer(slot, text) if total < ABSENT_CONFIDENCE else None
    if leading:
        return {category: float(category == leading) for category in categories}
    return {category: (score / total if total > 0 else 0.0) for category, score in scores.items()}


def stated_reading(slot: str, text: str, scores: Mapping[str, float] | None = None) -> str | None:
    """A category the visitor's own words state outright, whatever NLU's ranking says: who decides
    ("I decide for my team", "my boss signs"). Someone else deciding rules out the decision maker
    only: a visitor "just collecting info" whose boss decides stays a researcher."""
    if slot != "authority":
        return None
    stated = stated_authority(text)
    if stated == "influencer" and scores and scores.get("researcher", 0.0) > scores.get("influencer", 0.0):
        return "researcher"
    return stated


def none_is_misread(slot: str, text: str) -> bool:
    """A "none" reading that the words do not support: a need stated in so many words ("we need lead
    scoring for our team"), or a budget answer without any negation ("we have money for it")."""
    if text.startswith("/"):
        return False  # a clicked quick reply says what it means
    if slot == "need":
        return states_need(text)
    if slot == "budget":
        return not NO_MONEY_RE.search(text)
    return False


def says_none(slot: str, text: str) -> bool:
    """Whether the words deny this question outright ("we don't need it", "no budget", "no rush"): a
    correction to "none" needs that; a negation elsewhere in a message ("not 2 months") is not enough."""
    if slot == "need":
        return denies_need(text)
    if slot == "budget":
        return bool(NO_MONEY_RE.search(text)) and mentions_topic(slot, text)
    return bool(NEGATION_RE.search(text)) and mentions_topic(slot, text)


def without_misread_none(slot: str, text: str, scores: dict[str, float]) -> dict[str, float]:
    if "none" in scores and none_is_misread(slot, text):
        return {**scores, "none": 0.0}
    return scores


def categorize(
    slot: str, message: Mapping[str, Any], asked: bool, answered: Mapping[str, str | None] | None = None
) -> str | None:
    """Category for `slot` expressed by `message`, or None when it says nothing about it.

    asked: whether this question is the one currently open.
    answered: the categories given so far; a confident different answer to one of them is a
    correction of that question, not an answer to this one.
    """
    config = question_config()[slot]
    categories: list[str] = config["categories"]
    name, confidence = top_intent(message)
    top = category_of_intent(name)
    if not asked:
        if top and top[0] == slot and confidence >= UNASKED_CONFIDENCE:
            return top[1]
        return None
    if is_interruption(message):
        return None
    by_count = category_by_count(message.get("text") or "", config.get("number_ranges"))
    if by_count:
        return by_count  # "about 40 people": the number decides, for questions answered with a count
    generic = config.get("generic_answers") or {}
    if name in generic:
        return generic[name]
    text = message.get("text") or ""
    scores = category_scores(slot, message)
    stated = stated_reading(slot, text, scores)
    if stated:
        return stated

    scores = without_misread_none(slot, text, scores)
    best_category = max(scores, key=lambda category: scores[category])
    leading = leading_generic_answer(slot, text) if sum(scores.values()) < ABSENT_CONFIDENCE else None
    if top and top[0] != slot and confidence >= UNASKED_CONFIDENCE:
        previous = (answered or {}).get(top[0])
        if previous is not None and previous != top[1]:
            return None  # "actually our budget is approved now" while another question is open
        if top[1] == "none" and top[1] in categories and not none_is_misread(slot, text):
            # "none" means none whichever question NLU thought it answered, unless the words are about
            # that other question only ("we'd need approval for it" at the budget question).
            if mentions_topic(slot, text) or not mentions_topic(top[0], text):
                return top[1]
        if sum(scores.values()) < ABSENT_CONFIDENCE:
            return leading  # a confident answer to another question; that one gets filled instead
    if leading:
        return leading
    return best_category if scores[best_category] > 0 else None


# "none, I'm a student", "no, nothing planned": a short answer leads the message, an explanation follows.
LEADING_NONE_RE = re.compile(r"^\W*(?:none|nothing|nope|no|nah|never|zero|nil|n/a)\b\s*[,.;:!-]", re.IGNORECASE)


def leading_generic_answer(slot: str, text: str) -> str | None:
    """What a "none"/"no" that opens the message means for this question (its `deny` generic answer),
    when the rest says nothing NLU can place under the question."""
    if LEADING_NONE_RE.match(text):
        return (question_config()[slot].get("generic_answers") or {}).get("deny")
    return None


def budget_answer(
    message: Mapping[str, Any], asked: bool, answered: Mapping[str, str | None] | None = None
) -> tuple[str | None, BudgetAmount | None]:
    """Budget category plus the amount, if one was stated.

    An amount stated without a negation ("about 20k", "CHF 12'000 a year") means money is available.
    """
    category = categorize("budget", message, asked, answered)
    text = message.get("text") or ""
    amount = parse_budget_amount(text)
    if category is None and asked and amount and not NEGATION_RE.search(text) and not is_interruption(message):
        return "allocated", amount  # "15k a year": a stated amount answers the budget question
    if category is None:
        return None, None
    if amount and (category == "unknown" or (category == "none" and not NEGATION_RE.search(text))):
        category = "allocated"
    return category, amount


def timeline_reading(
    message: Mapping[str, Any],
    asked: bool,
    today: date | None = None,
    answered: Mapping[str, str | None] | None = None,
) -> tuple[str | None, bool]:
    """Timeline category, and whether a stated duration or date ("in 6 weeks", "by March") decided it."""
    category = categorize("timeline", message, asked, answered)
    if category is None:
        return None, False
    text = message.get("text") or ""
    if text.startswith("/"):
        return category, False  # a button's payload ("/timeline_immediate") names the category and holds no date
    days = days_until(text, today)
    if category == "none" and NEGATION_RE.search(text):
        return category, days is not None  # "never", "no plans": a date mentioned in passing is no timeline
    return (timeline_category(days), True) if days is not None else (category, False)


def timeline_answer(
    message: Mapping[str, Any],
    asked: bool,
    today: date | None = None,
    answered: Mapping[str, str | None] | None = None,
) -> str | None:
    """Timeline category; a stated duration or date decides it by the calendar."""
    return timeline_reading(message, asked, today, answered)[0]


def answer_to(
    question: str, message: Mapping[str, Any], answered: Mapping[str, str | None] | None = None
) -> str | None:
    """The category `message` gives the open question `question`, read the way its form reads it."""
    if question == "timeline":
        return timeline_answer(message, asked=True, answered=answered)
    if question == "budget":
        return budget_answer(message, asked=True, answered=answered)[0]
    return categorize(question, message, asked=True, answered=answered)


def question_mass(message: Mapping[str, Any], question: str) -> float:
    confidences = intent_confidences(message)
    categories = question_config()[question]["categories"]
    return sum(confidences.get(f"{question}_{category}", 0.0) for category in categories)


def question_answered(
    message: Mapping[str, Any], min_mass: float, open_question: str | None = None
) -> tuple[str, str] | None:
    """(question, category) when the message clearly answers one question, asked or not.

    Clear means: the top intent is one of the question's categories, the question gets at least
    `min_mass` of NLU's belief, and at least twice as much as any intent outside it.
    """
    name, _ = top_intent(message)
    found = category_of_intent(name)
    if not found or is_interruption(message):
        return None
    question = found[0]
    mass = question_mass(message, question)
    outside = max(
        (value for intent, value in intent_confidences(message).items() if not intent.startswith(f"{question}_")),
        default=0.0,
    )
    if mass < min_mass or mass < 2 * outside:
        return None
    category = answer_to(question, message)
    text = message.get("text") or ""
    if category == "none" and not mentions_topic(question, text):
        return None  # a negation about something else ("leads aren't followed up") is no "none" answer
    unasked = question != open_question
    if unasked and question == "need" and category == "defined" and HEDGE_RE.search(text):
        return None  # "I think we might need better qualification, not sure yet": ask, don't assume
    if unasked and question == "budget" and category == "unknown" and not UNSURE_RE.search(text):
        return None  # "it's my department's budget" names the budget and says nothing unknown about it
    if unasked and question_config()[question].get("unasked_only_with_topic") and not names_topic(question, text):
        return None  # "help me find the right plan" says nothing about a budget
    return (question, category) if category else None


def names_topic(question: str, text: str) -> bool:
    """Whether the message is about this question at all: one of its topic words (`none_only_with`),
    or for the budget a stated amount, for the timeline a date or duration that is not a billing
    period ("15k a year") or the length of something that happens now ("it takes us 2 days")."""
    if question == "budget" and parse_budget_amount(text):
        return True
    if question == "timeline":
        text = without_billing_periods(text)
        if PRESENT_DURATION_RE.search(text) or mentions_topic("budget", text):
            return False  # "it takes us 2 days", "budget is planned for next year": no timeline
        if days_until(text) is not None:
            return True
    return mentions_topic(question, text)


def mentions_topic(question: str, text: str) -> bool:
    """Whether `text` uses one of the question's `none_only_with` words (questions.yml); True without a list."""
    words = question_config()[question].get("none_only_with")
    if not words:
        return True
    lowered = text.lower()
    return any(
        re.search(rf"\b{re.escape(word.lower())}", lowered) if word[:1].isalnum() else word in lowered for word in words
    )


def is_correction_cue(text: str) -> bool:
    return bool(CORRECTION_CUE_RE.search(text or ""))
