"""Wording variants of a qualification question (A/B tests), as marketers define them in questions.yml.

    budget:
      label: Budget
      ...
      variants:
        - name: direct          # no text: the domain's utter_ask_budget, as before
          share: 50
        - name: soft
          share: 50
          text: "Have you set money aside for this yet, or is that still to be found?"

A visitor's variant is chosen from a hash of the conversation id and the question (no randomness, no
state), so it is the same on every reload and every server; the ask action records it once in the slot
`dialogue_variants` (question -> variant name, docs/design.md section 7) and the lead keeps it. The
shares are relative weights (50/50, 1/3, 90/10). Checked by `make check` (bot/checks/qualification_refs.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

VARIANTS_SLOT = "dialogue_variants"


@dataclass(frozen=True)
class Variant:
    name: str
    share: float
    text: str | None = None


def variants_of(spec: Any) -> list[Variant]:
    """The variants of one question's entry in questions.yml; [] when it has none (or they are malformed:
    `make check` reports those, the bot then asks the question as before)."""
    entries = spec.get("variants") if isinstance(spec, Mapping) else None
    if not isinstance(entries, list):
        return []
    found: list[Variant] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            return []
        share = entry.get("share", 1)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or share < 0:
            return []
        words = entry.get("text")
        found.append(Variant(entry["name"], float(share), words if isinstance(words, str) and words.strip() else None))
    if len(found) < 2 or sum(variant.share for variant in found) <= 0:
        return []
    return found


def all_variants(questions: Mapping[str, Any]) -> dict[str, list[Variant]]:
    """Every question of questions.yml that has variants, with them."""
    return {name: found for name, spec in (questions or {}).items() if (found := variants_of(spec))}


def bucket(conversation_id: str, question: str) -> float:
    """A number in [0, 1) fixed by the conversation and the question (SHA-256, so spread evenly)."""
    digest = hashlib.sha256(f"{question}\x00{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


V = TypeVar("V", bound=Variant)


def assign(conversation_id: str, question: str, variants: Sequence[V]) -> V:
    """The variant this conversation gets, in proportion to the shares."""
    total = sum(variant.share for variant in variants)
    point = bucket(conversation_id, question) * total
    for variant in variants:
        if point < variant.share:
            return variant
        point -= variant.share
    return [variant for variant in variants if variant.share > 0][-1]


# Order variants: alternative orders of the qualification form's questions, in bot/qualification/orders.yml
# (a file of its own, so questions.yml keeps mapping question names only):
#
#     orders:
#       - name: bant
#         share: 50
#         questions: [need, authority, budget, timeline]
#       - name: budget_first
#         share: 50
#         questions: [budget, need, authority, timeline]
#
# Assigned with the same hash as the wording variants (under the key "order"), recorded in the slot
# `dialogue_variants` as {"order": name}.
ORDER_KEY = "order"


@dataclass(frozen=True)
class Order(Variant):
    questions: tuple[str, ...] = ()


def orders_of(config: Any) -> list[Order]:
    """The order variants of orders.yml; [] when there are none or they are malformed (`make check` says why,
    the form then asks in the domain's order)."""
    entries = config.get("orders") if isinstance(config, Mapping) else None
    if not isinstance(entries, list):
        return []
    found: list[Order] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            return []
        share, questions = entry.get("share", 1), entry.get("questions")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or share <= 0:
            return []
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            return []
        found.append(Order(entry["name"], float(share), None, tuple(questions)))
    return found if len(found) >= 2 else []


def in_order(slots: list[str], order: Order | None) -> list[str]:
    """The form's slots in the order's sequence; slots the order does not list keep their place at the end."""
    if order is None:
        return list(slots)
    listed = [slot for slot in order.questions if slot in slots]
    return listed + [slot for slot in slots if slot not in listed]
