"""Who decides, read the way a rep reads it: a visitor's own words about the decision outweigh
their job title ("sales manager, I decide for my team" is the decision maker; "marketing director,
but the VP sales would have to agree" is not).

DIET reads roles mostly from the title, so a statement about the decision itself is read here.
Only explicit statements count; anything else is left to NLU.
"""

from __future__ import annotations

import re

_NEGATED = r"(?:not|n't|never|no)\b"
# Someone else decides: "my boss signs", "the VP sales would have to agree", "I need approval".
OTHER_DECIDES_RE = re.compile(
    r"(?<!i'm )(?<!i am )(?<!as )(?<!im )\b(?:my|our|the)\s+(?:[\w&-]+\s+){0,3}?"
    r"(?:boss|manager|director|head|vp|ceo|cfo|coo|cto|cmo|cro|founders?|owners?|board|lead|committee|"
    r"procurement|finance|client|partners?|president|leadership|management|team)\b(?:(?!\bi\b)[^.;]){0,40}?\b"
    r"(?:decides?|signs?(?: off)?|approves?|has (?:the )?(?:final|last) (?:say|word)|makes? the (?:final )?call|"
    r"would have to (?:agree|approve|sign)|needs? to (?:agree|approve|sign)|has to (?:agree|approve|sign)|"
    r"(?:is|are) the (?:final )?decision[- ]makers?|holds? the budget|owns? the budget)\b"
    r"|\b(?:need|needs|require|requires|get|getting)\s+(?:\w+\s+){0,2}?(?:approval|sign[- ]?off|buy[- ]in)\b"
    r"|\bi(?:'m| am)\s+not\s+(?:the\s+)?(?:final\s+)?(?:one who|person who|decision[- ]maker|decider)"
    r"|\bnot\s+(?:my|me)\s+(?:call|decision)\b|\bsomeone else (?:decides|signs|approves)\b",
    re.IGNORECASE,
)
# The visitor decides: "I decide", "my call", "it's my budget", "I choose the tools", "budget owner".
SELF_DECIDES_RE = re.compile(
    r"\bi\s+(?:\w+\s+){0,2}?(?:decide|choose|pick|sign(?: off)?|approve|make the (?:final )?(?:call|decision)|"
    r"have (?:the )?(?:final|last) (?:say|word)|own the budget|hold the budget|call the shots)\b"
    r"|\b(?:it's|its|it is|that's|the decision is|the call is)\s+(?:\w+\s+)?(?:mine|my (?:call|decision))\b"
    r"|\bmy (?:call|decision)\b|\bbudget (?:owner|holder)\b|\b(?:budget|decision|call) is (?:all )?mine\b"
    r"|\b(?:i'm|i am|i'd be|i would be|i'll be|i will be)\s+the (?:one|person)\s+(?:who\s+)?"
    r"(?:decid|sign|approv|choos)\w*"
    r"|\bmy (?:[\w-]+'s )?budget\b(?!\s+(?:is|of|was|will|would|for|has|isn't))",
    re.IGNORECASE,
)
NEGATED_SELF_RE = re.compile(
    rf"\bi\s+(?:do|can|would|will|could)?\s*{_NEGATED}\s*(?:\w+\s+){{0,2}}?(?:decide|choose|sign|approve)"
    rf"|\bnot\s+(?:\w+\s+)?(?:mine|my (?:call|decision|budget))\b|\bdon't\s+(?:\w+\s+)?decide\b",
    re.IGNORECASE,
)


def stated_authority(text: str) -> str | None:
    """ "influencer" when the text says someone else decides, "decision_maker" when it says the visitor
    does, None when it says neither (or is negated: "I don't decide anything" is left to NLU)."""
    text = text or ""
    if text.startswith("/"):
        return None
    if OTHER_DECIDES_RE.search(text):
        return "influencer"
    if NEGATED_SELF_RE.search(text):
        return None
    if SELF_DECIDES_RE.search(text):
        return "decision_maker"
    return None
