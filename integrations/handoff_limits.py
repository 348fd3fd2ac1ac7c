"""Limits on "talk to a human": one rep alert per conversation per few minutes, a few per client, a ceiling.

The history is the `handoff_requests` table, so the limits hold across action servers and restarts.
A client is what the chat channel says it is (the `client` key of the message metadata, e.g. a hash
of the address); without one, only the per-conversation limit and the overall ceiling apply.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations.settings import HandoffLimits
from integrations.store.models import HandoffRequest

__all__ = ["HandoffLimitedError", "HandoffLimits", "check_and_record"]

HOUR = timedelta(hours=1)


class HandoffLimitedError(Exception):
    """The reps were alerted recently enough; `reason` is "conversation", "client" or "overall"."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"hand-off limited ({reason})")
        self.reason = reason


def _count(session: Session, since: datetime, *conditions) -> int:
    query = select(func.count()).select_from(HandoffRequest).where(HandoffRequest.created_at > since, *conditions)
    return int(session.scalar(query) or 0)


def check_and_record(
    session: Session, limits: HandoffLimits, conversation_id: str, client: str | None, now: datetime
) -> None:
    """Record the request, or raise HandoffLimitedError when a limit is reached (nothing is recorded then)."""
    since = now - timedelta(minutes=limits.conversation_minutes)
    if _count(session, since, HandoffRequest.conversation_id == conversation_id):
        raise HandoffLimitedError("conversation")
    if client and _count(session, now - HOUR, HandoffRequest.client == client) >= limits.per_client_per_hour:
        raise HandoffLimitedError("client")
    if _count(session, now - HOUR) >= limits.per_hour:
        raise HandoffLimitedError("overall")
    session.add(HandoffRequest(conversation_id=conversation_id, client=client, created_at=now))
    session.flush()
