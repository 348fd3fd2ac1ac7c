"""How long a turn may wait for the action server, shared by Rasa's side and the action server's side.

`ACTION_TIMEOUT_SECONDS` (default 10) bounds each call Rasa makes to the action server
(integrations/rasa/server.py; Rasa 3.6's own bound is a fixed 300 s). The action server keeps its
own slow paths inside that bound (`lead_store_budget_seconds`): a lead store that keeps failing
gives up, spools the lead and answers before Rasa would stop waiting.

Imports only the settings (both environments use it).
"""

from __future__ import annotations

from integrations import settings


def action_timeout_seconds() -> float:
    """Seconds Rasa waits for one action call (ACTION_TIMEOUT_SECONDS; a bad or non-positive value is the default)."""
    return settings.lenient_number("ACTION_TIMEOUT_SECONDS")


def lead_store_budget_seconds() -> float:
    """Seconds the lead store may spend retrying: under half the action timeout, so the answer still arrives."""
    return max(0.5, action_timeout_seconds() * 0.4)
