"""Signed, expiring links that let a visitor reschedule or cancel their meeting (HMAC-SHA256).

The token is `booking-<id>.<expires>.<signature>`, signed like transcript links
(integrations/leads/transcript_links.py) but with a key of its own (BOOKING_LINK_SECRET, else the
transcript secret, prefixed by a purpose), so a transcript token never opens a meeting and the
other way round. A link expires when the meeting starts.
"""

from __future__ import annotations

from datetime import datetime

from integrations import settings as config
from integrations.booking.store import utc
from integrations.leads.transcript_links import InvalidLinkError, sign, verify
from integrations.store.models import Booking

PURPOSE = "booking-link:"
__all__ = ["InvalidLinkError", "booking_id_of", "link_secret", "manage_url", "token_for"]


def link_secret() -> str:
    secret = config.value("BOOKING_LINK_SECRET") or config.value("TRANSCRIPT_LINK_SECRET")
    return PURPOSE + secret if secret else ""


def token_for(booking: Booking, secret: str) -> str:
    return sign(secret, f"booking-{booking.id}", utc(booking.start_at))


def manage_url(booking: Booking, secret: str | None = None) -> str | None:
    secret = link_secret() if secret is None else secret
    if not secret:
        return None
    template = config.value("BOOKING_URL") or f"http://localhost:{config.value('WEB_PORT')}/meetings/{{token}}"
    return template.replace("{token}", token_for(booking, secret))


def booking_id_of(token: str, secret: str, now: datetime) -> int:
    """The booking a valid, unexpired token stands for; InvalidLinkError otherwise."""
    ref = verify(secret, token, now) if secret else ""
    if not ref.startswith("booking-") or not ref[len("booking-") :].isdigit():
        raise InvalidLinkError("not a meeting link")
    return int(ref[len("booking-") :])
