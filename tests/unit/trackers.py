"""Build rasa-sdk trackers the way the action server receives them from Rasa."""

from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk import Tracker

from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())


def parse(text: str, intent: str, confidence: float = 0.95, ranking: dict[str, float] | None = None) -> dict:
    ranking = ranking or {intent: confidence}
    ordered = sorted(ranking.items(), key=lambda item: -item[1])
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": name, "confidence": value} for name, value in ordered],
        "entities": [],
    }


def make_tracker(
    text: str = "hello",
    intent: str = "greet",
    confidence: float = 0.95,
    ranking: dict[str, float] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict] | None = None,
    active_loop: str | None = None,
    sender_id: str = "test-conversation",
) -> Tracker:
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    latest = parse(text, intent, confidence, ranking)
    events = events if events is not None else [{"event": "user", "text": text, "parse_data": latest, "metadata": {}}]
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
