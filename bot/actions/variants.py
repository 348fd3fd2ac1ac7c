"""Ask a qualification question in the wording of the visitor's variant (A/B tests of questions.yml).

The variant comes from integrations/variants.py (a hash of the conversation id: the same on every reload
and every server); the first time a question with variants is asked, the slot `dialogue_variants` records
it (question -> variant name), and that record wins afterwards, so a marketer who changes the shares in
the middle of a test never moves a visitor who already saw one wording. The lead keeps the mapping
(bot/actions/qualify.py), and `leads report` compares the variants.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.policy_files import qualification_file
from bot.actions.understanding import question_config
from integrations.variants import ORDER_KEY, VARIANTS_SLOT, Order, Variant, assign, orders_of, variants_of
from integrations.yaml_files import load_yaml


def recorded(tracker: Tracker) -> dict[str, str]:
    value = tracker.get_slot(VARIANTS_SLOT)
    return {str(key): str(name) for key, name in value.items()} if isinstance(value, dict) else {}


def variant_for(tracker: Tracker, question: str) -> tuple[Variant | None, list[dict[str, Any]]]:
    """The visitor's variant of `question` (None without variants) and the event recording a new one."""
    variants = variants_of((question_config() or {}).get(question))
    if not variants:
        return None, []
    known = recorded(tracker)
    chosen = next((variant for variant in variants if variant.name == known.get(question)), None)
    if chosen is not None:
        return chosen, []
    chosen = assign(tracker.sender_id, question, variants)
    return chosen, [SlotSet(VARIANTS_SLOT, {**known, question: chosen.name})]


def orders() -> list[Order]:
    """The order variants of bot/qualification/orders.yml (the file is optional)."""
    path = qualification_file("orders.yml")
    return orders_of(load_yaml(path)) if path.exists() else []


def order_for(tracker: Tracker) -> tuple[Order | None, list[dict[str, Any]]]:
    """The visitor's order of the qualification questions (None without an order test) and the event
    recording a new one, sticky like the wording variants."""
    found = orders()
    if not found:
        return None, []
    known = recorded(tracker)
    chosen = next((order for order in found if order.name == known.get(ORDER_KEY)), None)
    if chosen is not None:
        return chosen, []
    chosen = assign(tracker.sender_id, ORDER_KEY, found)
    return chosen, [SlotSet(VARIANTS_SLOT, {**known, ORDER_KEY: chosen.name})]


def ask(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, question: str) -> list[dict[str, Any]]:
    """utter_ask_<question>, or the variant's own text with the same quick replies."""
    variant, events = variant_for(tracker, question)
    if variant is None or variant.text is None:
        dispatcher.utter_message(response=f"utter_ask_{question}")
        return events
    responses = (domain.get("responses") or {}).get(f"utter_ask_{question}") or [{}]
    buttons = responses[0].get("buttons") or []
    dispatcher.utter_message(text=variant.text, buttons=buttons)
    return events
