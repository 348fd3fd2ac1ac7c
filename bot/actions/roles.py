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
    r"|\bnot\s+(?:my|me)\s+(?:call|decision)\b|\bsomeone else (?:decides|signs|approves)\b"
    # a shared decision: "on the team that will pick the tool, together with IT", "we decide as a team"
    r"|\b(?:decide|decides|deciding|pick|picks|choose|chooses|choosing)\b[^.;]{0,40}\b(?:together|jointly) with\b"
    r"|\b(?:on|in|part of) the (?:team|committee|panel|group) that (?:will )?(?:decide|pick|choose|select)s?\b"
    r"|\bwe (?:decide|choose|pick) (?:together|as a team|jointly)\b",
    re.IGNORECASE,
)
# The visitor decides: "I decide", "my call", "it's my budget", "I choose the tools", "budget owner".
SELF_DECIDES_RE = re.compile(
    r"\bi\s+(?:\w+\s+){0,2}?(?:decide|choose|pick|sign(?: off)?|approve|make the (?:final )?(?:call|decision)|"
    r"have (?:the )?(?:final|last) (?:say|word)|own the budget|hold the budget|call the shots)\b"
    r"|\b(?:it's|its|it is|that's|the decision is|the call is)\s+(?:\w+\s+)?(?:mine|my (?:call|decision))\b"
    r"|\b(?:i|and|also)\s+(?:\w+\s+)?(?:own|hold|control) the (?:[\w-]+\s+)?budget\b"
    r"|\b(?:is|stops|rests|lies|sits)\s+with me\b|\b(?:up|down) to me\b"
    r"|\bmy (?:call|decision)\b|\bbudget (?:owner|holder)\b|\b(?:budget|decision|call) is (?:all )?mine\b"
    r"|\b(?:i'm|i am|i'd be|i would be|i'll be|i will be)\s+the (?:one|person)\s+(?:who\s+)?"
    r"(?:decid|sign|approv|choos)\w*"
    r"|\bmy (?:[\w-]+'s )?budget\b(?!\s+(?:is|of|was|will|would|for|has|isn't))",
    re.IGNORECASE,
)
# "I lead the marketing team and own the budget": the team is what the visitor leads, not who decides.
OBJECT_OF_I_RE = re.compile(r"\bi\s+(?:\w+\s+)?\w+\s*$", re.IGNORECASE)
NEGATED_SELF_RE = re.compile(
    rf"\bi\s+(?:do|can|would|will|could)?\s*{_NEGATED}\s*(?:\w+\s+){{0,2}}?(?:decide|choose|sign|approve)"
    rf"|\bnot\s+(?:\w+\s+)?(?:mine|my (?:call|decision|budget))\b|\bdon't\s+(?:\w+\s+)?decide\b",
    re.IGNORECASE,
)


# "I'm the CTO at Acme", "im the founder": a title that decides purchases of this size on its own.
OWNER_TITLE_RE = re.compile(
    r"\b(?:i'm|i am|im|as)\s+(?:the\s+|a\s+|an\s+|one of the\s+)?(?:co-?)?"
    r"(?:ceo|cto|cfo|coo|cmo|cro|cio|chief\s+\w+\s+officer|founder|owner|president|managing director|"
    r"general manager|managing partner)\b(?!'s)",
    re.IGNORECASE,
)


def _someone_else_decides(text: str) -> bool:
    """An OTHER_DECIDES_RE match whose subject is not what the visitor leads ("I manage the sales team,
    the VP decides" has one: the VP)."""
    match = OTHER_DECIDES_RE.search(text)
    while match:
        names_someone = re.match(r"(?:my|our|the)\b", match.group(0), re.IGNORECASE)
        if not names_someone or not OBJECT_OF_I_RE.search(text[: match.start()]):
            return True
        match = OTHER_DECIDES_RE.search(text, match.start() + 1)
    return False


def stated_authority(text: str) -> str | None:
    """ "influencer" when the text says someone else decides, "decision_maker" when it says the visitor
    does, None when it says neither (or is negated: "I don't decide anything" is left to NLU)."""
    text = text or ""
    if text.startswith("/"):
        return None
    if _someone_else_decides(text):
        return "influencer"
    if NEGATED_SELF_RE.search(text):
        return None
    if SELF_DECIDES_RE.search(text) or OWNER_TITLE_RE.search(text):
        return "decision_maker"
    return None
