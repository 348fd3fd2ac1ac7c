"""Ask once when unsure, as a rep would: "Just to be sure: would you sign off on this yourself, or does
someone else decide?" (docs/design.md section 4: the slot `clarifying`).

When the best reading of an answer is not clearly ahead of the next one, or the message does not
answer the open question at all, the question's slot stays empty, `clarifying` holds the question's
name, and `action_ask_<question>` asks one short follow-up with the likely categories as quick
replies (`/<question>_<category>`). After that one follow-up the best reading is taken, so no
question is asked a third time. Questions without an `utter_clarify_<question>` response and an
`action_ask_<question>` in the domain are never clarified (they are asked again as before).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Mapping

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import variants
from bot.actions.understanding import category_shares, question_names

CLARIFYING_SLOT = "clarifying"
# A reading is clear when its share of the question's belief leads the next category by this much.
# Measured on tests/heldout/conversations (docs/understanding.md): 0.3 asked 0.06 follow-ups per
# conversation, 0.7 asks 0.17 (the issue allows 0.3) and cut wrong BANT answers from 25 to 21.
CLEAR_MARGIN = 0.7
# Quick replies of a follow-up: the likely categories, at least two, at most three.
MIN_OPTIONS, MAX_OPTIONS, OPTION_SHARE = 2, 3, 0.1


def reading_is_clear(question: str, message: Mapping[str, Any], category: str) -> bool:
    shares = category_shares(question, message)
    others = [share for name, share in shares.items() if name != category]
    return shares.get(category, 0.0) - max(others, default=0.0) >= CLEAR_MARGIN


def can_clarify(domain: DomainDict, question: str) -> bool:
    return f"utter_clarify_{question}" in (domain.get("responses") or {}) and f"action_ask_{question}" in (
        domain.get("actions") or []
    )


def clarified_before(tracker: Tracker, question: str) -> bool:
    """Whether this conversation already had its one follow-up about `question`."""
    return any(
        event.get("event") == "slot" and event.get("name") == CLARIFYING_SLOT and event.get("value") == question
        for event in tracker.events
    )


def likely_categories(question: str, message: Mapping[str, Any]) -> list[str]:
    ranked = sorted(category_shares(question, message).items(), key=lambda item: -item[1])
    likely = [name for index, (name, share) in enumerate(ranked) if index < MIN_OPTIONS or share >= OPTION_SHARE]
    return likely[:MAX_OPTIONS]


def follow_up_buttons(domain: DomainDict, question: str, categories: list[str]) -> list[dict[str, str]]:
    """The question's own quick replies for `categories`, in the order of likelihood."""
    titles = {
        button.get("payload"): button.get("title")
        for response in (domain.get("responses") or {}).get(f"utter_ask_{question}", [])
        for button in response.get("buttons", [])
    }
    buttons = []
    for category in categories:
        payload = f"/{question}_{category}"
        buttons.append({"title": titles.get(payload) or category.replace("_", " "), "payload": payload})
    return buttons


class AskQualificationQuestion(Action, ABC):
    """action_ask_<question>: the question, or its one follow-up while `clarifying` names it."""

    @property
    @abstractmethod
    def question(self) -> str:
        """The question this action asks (a class attribute of each subclass)."""

    def name(self) -> str:
        return f"action_ask_{self.question}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if tracker.get_slot(CLARIFYING_SLOT) != self.question:
            return variants.ask(dispatcher, tracker, domain, self.question)  # its wording in an A/B test
        categories = likely_categories(self.question, tracker.latest_message or {})
        text = domain["responses"][f"utter_clarify_{self.question}"][0]["text"]
        dispatcher.utter_message(text=text, buttons=follow_up_buttons(domain, self.question, categories))
        return []


def _ask_action(question: str) -> type[AskQualificationQuestion]:
    return type(f"Ask_{question}", (AskQualificationQuestion,), {"question": question})


# One action class per question in questions.yml; rasa-sdk registers every Action subclass it finds.
ASK_ACTIONS = [_ask_action(question) for question in question_names()]
