"""Read what the tracker already knows: where the visitor came from and what was said."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

SOURCE_KEYS = ("page_url", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_SOURCE_VALUE = 2000


def lead_source(tracker: Tracker) -> dict[str, Any]:
    """Page URL, referrer and UTM parameters from the first user message that carried them."""
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        metadata = event.get("metadata") or {}
        found = {key: str(metadata[key])[:MAX_SOURCE_VALUE] for key in SOURCE_KEYS if metadata.get(key)}
        if found:
            return found
    return {}


def transcript(tracker: Tracker, limit: int = 200) -> list[dict[str, str]]:
    """The conversation so far as [{"from": "visitor"|"bot", "text": ...}]."""
    lines = []
    for event in tracker.events:
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text"):
            lines.append({"from": "visitor" if kind == "user" else "bot", "text": event["text"]})
    return lines[-limit:]
