"""Which rep holds a conversation: rows of `takeovers`, at most one open per conversation (a unique index)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from integrations.store.db import transaction
from integrations.store.models import HandoffRequest, RepPresence, Takeover


class TakenError(Exception):
    """Another rep holds the conversation."""

    def __init__(self, holder: Takeover) -> None:
        super().__init__(f"{holder.rep_name} has this conversation")
        self.holder = holder


def open_takeover(url: str, conversation_id: str) -> Takeover | None:
    with transaction(url) as session:
        return session.scalars(
            select(Takeover).where(Takeover.conversation_id == conversation_id, Takeover.released_at.is_(None))
        ).first()


def open_takeovers(url: str) -> dict[str, Takeover]:
    with transaction(url) as session:
        rows = session.scalars(select(Takeover).where(Takeover.released_at.is_(None))).all()
    return {row.conversation_id: row for row in rows}


def take(url: str, conversation_id: str, rep: str, rep_name: str, now: datetime) -> Takeover:
    """Give the conversation to `rep`; TakenError when another rep has it (the database decides)."""
    holder = open_takeover(url, conversation_id)
    if holder is not None:
        if holder.rep == rep:
            return holder
        raise TakenError(holder)
    try:
        with transaction(url) as session:
            row = Takeover(conversation_id=conversation_id, rep=rep, rep_name=rep_name, taken_at=now)
            session.add(row)
        return row
    except IntegrityError:  # another rep's take committed first
        holder = open_takeover(url, conversation_id)
        if holder is None or holder.rep == rep:
            raise
        raise TakenError(holder) from None


def release(url: str, conversation_id: str, rep: str, now: datetime) -> Takeover:
    """Close `rep`'s takeover of the conversation; TakenError when someone else holds it, LookupError if nobody."""
    with transaction(url) as session:
        row = session.scalars(
            select(Takeover).where(Takeover.conversation_id == conversation_id, Takeover.released_at.is_(None))
        ).first()
        if row is None:
            raise LookupError("nobody has taken this conversation over")
        if row.rep != rep:
            raise TakenError(row)
        row.released_at = now
        return row


def history(url: str, conversation_ids: Iterable[str]) -> list[Takeover]:
    """Every takeover of these conversations, oldest first (for `leads show` and the privacy export)."""
    ids = list(conversation_ids)
    if not ids:
        return []
    with transaction(url) as session:
        return list(
            session.scalars(select(Takeover).where(Takeover.conversation_id.in_(ids)).order_by(Takeover.taken_at)).all()
        )


def human_requested(url: str, conversation_ids: Iterable[str]) -> set[str]:
    """The conversations whose visitor asked for a human (a hand-off request reached the reps)."""
    ids = list(conversation_ids)
    if not ids:
        return set()
    with transaction(url) as session:
        found = session.scalars(select(HandoffRequest.conversation_id).where(HandoffRequest.conversation_id.in_(ids)))
        return set(found)


def seen(url: str, rep: str, now: datetime) -> None:
    """The rep's console asked for news now: the rep counts as online for a while."""
    with transaction(url) as session:
        row = session.get(RepPresence, rep)
        if row is None:
            session.add(RepPresence(rep=rep, last_seen=now))
        else:
            row.last_seen = now
