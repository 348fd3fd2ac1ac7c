"""Deliver pending notifications with retries, exponential backoff with jitter, and a dead letter."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import select, update

from integrations.outbox.channels.base import Channel, DeliveryError
from integrations.settings import outbox_schedule
from integrations.store.db import transaction
from integrations.store.leads import utcnow
from integrations.store.models import Notification

logger = logging.getLogger(__name__)

# How long a dispatcher may hold a notification while sending it (well above any channel timeout).
LEASE_SECONDS = 120.0


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0


def backoff_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try: full jitter over an exponential ceiling (OUTBOX_* settings)."""
    schedule = outbox_schedule()
    ceiling = min(schedule.max_delay_seconds, schedule.base_delay_seconds * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def dispatch_due(
    database_url: str,
    channels: Mapping[str, Channel],
    *,
    now: datetime | None = None,
    limit: int = 100,
    conversation_id: str | None = None,
) -> DispatchReport:
    """Try every notification that is due (optionally of one conversation).

    Several dispatchers may run at once (the action servers' threads and the dispatcher
    process): each notification is first claimed with one conditional UPDATE, so exactly one
    of them sends it, on SQLite as on PostgreSQL. The claim is a lease: if the claimant dies
    mid-send, the notification becomes due again when the lease runs out.
    """
    now = now or utcnow()
    report = DispatchReport()
    with transaction(database_url) as session:
        query = select(Notification.id).where(_is_due(now)).order_by(Notification.id).limit(limit)
        if conversation_id is not None:
            query = query.where(Notification.conversation_id == conversation_id)
        due_ids = list(session.scalars(query))
    for notification_id in due_ids:
        notification = _claim(database_url, notification_id, now)
        if notification is not None:
            _deliver(database_url, notification, channels, report)
    return report


def _is_due(now: datetime):
    return Notification.status.in_(("pending", "sending")) & (Notification.next_attempt_at <= now)


def _claim(database_url: str, notification_id: int, now: datetime) -> Notification | None:
    with transaction(database_url) as session:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, _is_due(now))
            .values(
                status="sending",
                attempts=Notification.attempts + 1,
                next_attempt_at=utcnow() + timedelta(seconds=LEASE_SECONDS),
            )
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        if claimed != 1:
            return None  # another dispatcher took it
        return session.get(Notification, notification_id)


def _deliver(
    database_url: str, notification: Notification, channels: Mapping[str, Channel], report: DispatchReport
) -> None:
    """Send outside any transaction (no database lock is held during network I/O), then record the outcome."""
    channel = channels.get(notification.channel)
    outcome: dict = {"status": "sent", "delivered_at": utcnow(), "last_error": None}
    try:
        if channel is None:
            raise DeliveryError(f"channel {notification.channel!r} is not configured")
        channel.send(notification)
        outcome["delivered_at"] = utcnow()
        report.sent += 1
    except Exception as error:
        delivery_error = (
            error if isinstance(error, DeliveryError) else DeliveryError(f"{type(error).__name__}: {error}")
        )
        outcome = {"last_error": str(delivery_error)[:2000], "delivered_at": None}
        if delivery_error.permanent or notification.attempts >= outbox_schedule().max_attempts:
            outcome["status"] = "dead"
            report.dead += 1
            logger.error("notification %s is dead after %s attempts: %s", notification.id, notification.attempts, error)
        else:
            outcome["status"] = "pending"
            delay = backoff_delay(notification.attempts, delivery_error.retry_after)
            outcome["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
            report.retried += 1
            logger.warning("notification %s failed (attempt %s): %s", notification.id, notification.attempts, error)
    with transaction(database_url) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification.id, Notification.status == "sending")
            .values(**outcome)
        )
