"""Deliver pending notifications with retries, exponential backoff with jitter, and a dead letter."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import select

from integrations.outbox.channels.base import Channel, DeliveryError
from integrations.store.db import transaction
from integrations.store.leads import utcnow
from integrations.store.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 600.0


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0


def backoff_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try: full jitter over an exponential ceiling."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1))
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
    """Try every pending notification that is due (optionally of one conversation)."""
    now = now or utcnow()
    report = DispatchReport()
    with transaction(database_url) as session:
        query = (
            select(Notification.id)
            .where(Notification.status == "pending", Notification.next_attempt_at <= now)
            .order_by(Notification.id)
            .limit(limit)
        )
        if conversation_id is not None:
            query = query.where(Notification.conversation_id == conversation_id)
        due_ids = list(session.scalars(query))
    for notification_id in due_ids:
        _deliver_one(database_url, notification_id, channels, report)
    return report


def _deliver_one(
    database_url: str, notification_id: int, channels: Mapping[str, Channel], report: DispatchReport
) -> None:
    with transaction(database_url) as session:
        notification = session.scalars(
            select(Notification)
            .where(Notification.id == notification_id, Notification.status == "pending")
            .with_for_update()
        ).first()
        if notification is None:
            return  # another dispatcher took it
        channel = channels.get(notification.channel)
        notification.attempts += 1
        try:
            if channel is None:
                raise DeliveryError(f"channel {notification.channel!r} is not configured")
            channel.send(notification)
        except DeliveryError as error:
            notification.last_error = str(error)[:2000]
            if error.permanent or notification.attempts >= MAX_ATTEMPTS:
                notification.status = "dead"
                report.dead += 1
                logger.error(
                    "notification %s is dead after %s attempts: %s", notification.id, notification.attempts, error
                )
            else:
                notification.next_attempt_at = utcnow() + timedelta(
                    seconds=backoff_delay(notification.attempts, error.retry_after)
                )
                report.retried += 1
                logger.warning("notification %s failed (attempt %s): %s", notification.id, notification.attempts, error)
            return
        notification.status = "sent"
        notification.delivered_at = utcnow()
        notification.last_error = None
        report.sent += 1
