"""When a stop, hand-off, goodbye or greeting intent is really that request (integrations/rasa/global_intents.py).

Plain Python on Rasa's message dictionaries ("intent", "intent_ranking"), so it is testable in any
environment.
"""

from __future__ import annotations

import re
from typing import Any

MAX_SHORT_WORDS = 3
_POLITE = (
    r"(?:ok(?:ay)?|please|pls|just|no|nah|sorry|hey|hi|thanks|thank you|um+|uh+|yeah|yes|hm+|"
    r"forget it|never mind|nevermind)"
)
_PEOPLE = (
    r"(?:human|person|someone|somebody|some one|rep|reps|representative|agent|operator|salesperson|sales ?rep|"
    r"sales(?: team| guy| person)?|your team|a real|real one|people|anyone|account executive|ae)"
)
REQUESTS: dict[str, re.Pattern[str]] = {
    "stop": re.compile(
        rf"^\W*(?:{_POLITE}\W+)*(?:stop|cancel|quit|exit|end|abort|enough|halt)\b"
        r"(?:\W+(?:it|this|that|now|please|pls|here|the chat|this chat|the conversation|this conversation|talking|"
        r"asking|messaging|texting|the questions|these questions|asking questions|asking me|already|thanks|thank you|"
        r"for now|right now|bot))*\W*$"
        r"|\b(?:i(?:'m| am) done(?: here)?|no more questions|leave me alone|not interested(?: anymore| any more)?"
        r"|(?:stop|quit|enough) (?:asking|messaging|texting|bothering|bugging|with the questions)"
        r"|(?:i want|i'd like|let's|let us|can we|could we|can you|could you|please) (?:to )?(?:stop|end|quit|cancel)"
        r"(?: (?:this|here|now|the chat|it|talking|asking))*\W*$"
        r"|(?:stop|end|quit|close|leave|exit|cancel) (?:the|this) "
        r"(?:chat|conversation|questions|questionnaire|form)\b)",
        re.IGNORECASE,
    ),
    "human_handoff": re.compile(
        r"\b(?:talk|speak|chat|connect|put me through|transfer|hand me over|pass me|get me)\b"
        rf"(?:\W+\w+){{0,4}}?\W+{_PEOPLE}\b"
        rf"|\b{_PEOPLE}\W+(?:i|we)\W+(?:can|could)\W+(?:talk|speak|chat)\b"
        rf"|^\W*(?:{_POLITE}\W+)*(?:an?\W+)?(?:human|agent|operator|real person|person|representative|live agent|"
        r"live chat|sales)(?:\W+(?:please|pls|now))*\W*$",
        re.IGNORECASE,
    ),
    "goodbye": re.compile(
        rf"^\W*(?:{_POLITE}\W+)*(?:bye|goodbye|good bye|bye bye|see you|see ya|cya|later|talk (?:to you )?later|"
        r"gotta go|got to go|(?:i )?(?:have|need) to go|that's all|that is all|nothing else|have a (?:good|nice|great) "
        r"(?:day|one|evening|weekend))\b(?:\W+\w+){0,4}\W*$",
        re.IGNORECASE,
    ),
    "greet": re.compile(
        r"^\W*(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day))"
        r"(?:\W+(?:there|all|team|folks|everyone|bot|again|guys|friend))*\W*$",
        re.IGNORECASE,
    ),
}


def is_the_request(intent: str, text: str) -> bool:
    """True when `text` asks for what the global `intent` does, rather than mentioning its word."""
    if len(re.findall(r"\w+", text)) <= MAX_SHORT_WORDS:
        return True
    return bool(REQUESTS[intent].search(text))


def demote(message_data: dict[str, Any], gated: frozenset[str]) -> None:
    """Move the gated intents below every other intent and renormalise the others' confidences."""
    ranking = list(message_data.get("intent_ranking") or [])
    kept = [dict(item) for item in ranking if item.get("name") not in gated]
    dropped = [dict(item, **{"confidence": 0.0}) for item in ranking if item.get("name") in gated]
    total = sum(float(item.get("confidence") or 0.0) for item in kept)
    if not kept or total <= 0:
        return
    for item in kept:
        item["confidence"] = float(item.get("confidence") or 0.0) / total
    message_data["intent_ranking"] = kept + dropped
    message_data["intent"] = {
        "name": kept[0]["name"],
        "confidence": kept[0]["confidence"],
    }
