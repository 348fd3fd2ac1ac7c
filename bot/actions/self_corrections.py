"""A visitor correcting themselves inside one message: "no budget... wait, actually we do have about
5k", "6 months. no wait, 6 weeks". The words after the correction are the answer, as a rep hears it."""

from __future__ import annotations

import re

# The cue must start a new part of the message (after punctuation or a "no"), so that an ordinary
# "we actually need it soon" is no self-correction.
SELF_CORRECTION_RE = re.compile(
    r"(?:[.,;!?…]+|\s-+|\s—)\s*(?:oh\s+|hmm+\s+|um+\s+)?(?:no,?\s+)?(?:(?:wait|actually|i mean|i meant|sorry|"
    r"correction|scratch that|make that|or rather|let me correct)\b[\s,.:!-]*)+",
    re.IGNORECASE,
)
MIN_WORDS_BEFORE = 1
MIN_CHARS_AFTER = 2


def corrected_part(text: str) -> str | None:
    """The part after the last self-correction in `text`, or None when the visitor did not correct
    themselves."""
    text = text or ""
    matches = [m for m in SELF_CORRECTION_RE.finditer(text) if len(text[: m.start()].split()) >= MIN_WORDS_BEFORE]
    if not matches:
        return None
    tail = text[matches[-1].end() :].strip()
    return tail if len(tail) >= MIN_CHARS_AFTER else None
