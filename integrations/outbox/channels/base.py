"""What every delivery channel implements."""

from __future__ import annotations

from typing import Protocol

from integrations.store.models import Notification


class DeliveryError(Exception):
    """Delivery failed; `retry_after` (seconds) is honoured when the receiver asked for it."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> None:
        """Deliver the notification or raise DeliveryError."""
