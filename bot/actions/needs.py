"""A need stated in so many words, read the way a rep reads it: "we need lead scoring for our outbound
team" states a need, whatever the words around it resemble; "we don't need anything" or "maybe we
might need something" does not.

DIET's bag of words cannot see that "need" is not negated, so a need statement without a denial is
never read as need `none`, and one in an opener answers the need question before it is asked.
"""

from __future__ import annotations

import re

NEED_STATEMENT_RE = re.compile(
    r"\b(?:we|i|our\s+[\w-]+(?:\s+[\w-]+)?|they|my\s+[\w-]+)"
    r"(?:(?:'d|\s+would)\s+(?:really\s+)?(?:need|want|like|love)|(?:'ll|\s+will)\s+need"
    r"|\s+(?:\w+ly\s+|just\s+|still\s+|also\s+|might\s+|may\s+)?"
    r"(?:need|needs|want|wants|are looking for|am looking for|have to find|must have))\s+"
    r"(?!to\s+(?:see|try|know|learn|talk|speak|chat|book|get a (?:demo|call|quote))\b)"
    # "we need it/this live next month" says when, not what
    r"(?!(?:it|this|that|one)\b)"
    r"|\bhelp (?:us|me|our [\w-]+)\s+(?!(?:find|choose|pick|understand|decide)\b)\w+"
    r"|\blooking for (?:a|an|something|some|software|help|a way)\b"
    r"|(?:^|[.!?;,+]\s*)\W*(?:need|needs)\s+(?:a|an|to|some|something|smth|sth|help|better|more)\b",
    re.IGNORECASE,
)
# What the visitor wants is the conversation itself, not a solution: a demo, a price, to talk.
NOT_A_NEED_RE = re.compile(
    r"\b(?:demo|(?:a|the) call|meeting|price|pricing|quote|information|info|material|brochure|talk|speak|chat with|"
    r"know more|learn|see how|try (?:it|your|the|this)|approval|sign[- ]?off|permission|budget)\b",
    re.IGNORECASE,
)
NEED_DENIAL_RE = re.compile(
    r"\b(?:no|not|don't|do not|doesn't|does not|never|nope|nah|without)\s+(?:\w+\s+){0,2}?"
    r"(?:need|needed|want|interest|interested|looking|relevant|for (?:us|me)|use|problem|requirement|anything)\b"
    r"|^\W*(?:nothing|none|no|nope|nah|n/a)\b",
    re.IGNORECASE,
)
HEDGE_RE = re.compile(
    r"\b(?:might|maybe|perhaps|probably|possibly|not sure|unsure|thinking about|considering|wondering|curious|"
    r"exploring|researching|eventually|someday|one day|at some point)\b",
    re.IGNORECASE,
)


def denies_need(text: str) -> bool:
    return bool(NEED_DENIAL_RE.search(text or ""))


def states_need(text: str) -> bool:
    """Whether `text` says in so many words that the visitor needs something (not merely a demo or a price)."""
    text = text or ""
    match = NEED_STATEMENT_RE.search(text)
    if not match or denies_need(text):
        return False
    rest = text[match.start() : match.end() + 25]
    return not NOT_A_NEED_RE.search(rest)


def states_firm_need(text: str) -> bool:
    """A need statement without hedges: the need question is answered `defined` before it is asked."""
    return states_need(text) and not HEDGE_RE.search(text or "")
