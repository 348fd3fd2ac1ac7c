"""Who can join a chat now: reps whose console asked for news in the last CONSOLE_ONLINE_SECONDS.

The console records each rep's last poll in `rep_presence` (takeovers.seen), so every action server
and web server sees the same answer. Working hours (`working_hours` and `timezone` of each rep in reps.yml)
only tell the visitor when the team is usually there; a rep signed in outside them still counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from integrations import settings
from integrations.routing import Rep
from integrations.store.db import transaction
from integrations.store.models import RepPresence

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def online(database_url: str, now: datetime, seconds: int | None = None) -> list[str]:
    """Usernames of the reps seen in the console in the last `seconds` (default CONSOLE_ONLINE_SECONDS)."""
    window = timedelta(seconds=seconds if seconds is not None else settings.lenient_integer("CONSOLE_ONLINE_SECONDS"))
    with transaction(database_url) as session:
        rows = session.scalars(select(RepPresence.rep).where(RepPresence.last_seen >= now - window))
        return sorted(rows)


def signed_out(database_url: str, rep: str) -> None:
    with transaction(database_url) as session:
        session.execute(delete(RepPresence).where(RepPresence.rep == rep))


def hours_text(hours: Mapping[str, Any] | None, timezone: str | None) -> str | None:
    """'Mon\u2013Fri 09:00\u201317:30 (Europe/London)' from a rep's `working_hours` (en dashes); same
    hours grouped. A day's hours are a list of spans ("09:00-12:00", "13:00-17:00") or one span."""
    if not hours:
        return None
    groups: list[tuple[list[str], str]] = []
    for day in DAYS:
        spans = hours.get(day)
        span = ", ".join(spans) if isinstance(spans, (list, tuple)) else spans
        if not span:
            continue
        if groups and groups[-1][1] == span and DAYS.index(groups[-1][0][-1]) == DAYS.index(day) - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], span))
    parts = [
        (days[0].title() if len(days) == 1 else f"{days[0].title()}–{days[-1].title()}") + " " + span.replace("-", "–")
        for days, span in groups
    ]
    return ", ".join(parts) + (f" ({timezone})" if timezone else "")


@dataclass(frozen=True)
class Availability:
    online: list[str]
    hours: str | None  # when the assigned rep usually works, for the visitor

    def answer(self, booking_link: str | None, has_email: bool) -> str:
        """What the bot adds after telling the team: a rep will join, or honestly, that nobody is there."""
        if self.online:
            return "Someone from our sales team is online and will join this chat in a moment. Stay right here."
        text = "Nobody from our sales team is in the chat right now"
        if self.hours:
            text += f" (we're usually here {self.hours})"
        text += ", so your request waits in their queue"
        text += " and they'll follow up by email." if has_email else ": leave your email and they'll follow up."
        if booking_link:
            text += f" Or book a time that suits you: {booking_link}"
        return text


def availability(database_url: str, rep: Rep | None, now: datetime) -> Availability:
    return Availability(online(database_url, now), hours_text(rep.working_hours, rep.timezone) if rep else None)
