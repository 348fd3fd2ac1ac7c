"""Transactional outbox: notifications are rows written in the same transaction as the lead."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.store.leads import utcnow
from integrations.store.models import Notification


def enqueue(
    session: Session,
    *,
    kind: str,
    conversation_id: str,
    payload: dict[str, Any],
    channels: Iterable[str],
    lead_id: int | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """Add one pending notification per channel; an existing idempotency key is not added twice."""
    now = now or utcnow()
    subject = key or (f"lead-{lead_id}" if lead_id is not None else conversation_id)
    created = []
    for channel in channels:
        idempotency_key = f"{kind}:{subject}:{channel}"
        exists = session.scalar(select(Notification.id).where(Notification.idempotency_key == idempotency_key))
        if exists is not None:
            continue
        notification = Notification(
            lead_id=lead_id,
            conversation_id=conversation_id,
            kind=kind,
            channel=channel,
            idempotency_key=idempotency_key,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(notification)
        created.append(notification)
    session.flush()
    return created
