"""Speed-to-lead: a hot lead must be claimed by its rep within minutes of the rep's working time.

The deadline (`first_touch_by`) is `first_touch_minutes` (default 5) of the assigned rep's working
hours after the lead arrived: a lead that comes in at night is due a few minutes after the rep's day
starts. The 24-hour follow-up deadline stays as it is. The dispatcher calls `escalate_overdue` every
round: a hot lead nobody claimed by its deadline goes to the next eligible rep (with a new deadline)
and is announced to the manager; a second miss sends it to the fallback queue. Claiming (the leads
CLI, Slack's claim button) sets `claimed_at`, which stops it. The `speed_to_lead:` section of reps.yml:

    speed_to_lead:
      first_touch_minutes: 5
      manager: {name: Sales manager, email: manager@acme.example, slack: "#sales-managers"}

With `slack_webhook: https://hooks.slack.com/...` in `manager`, the manager's notice goes to that webhook
(the `slack_manager` channel) instead of the team's SLACK_WEBHOOK_URL; without it, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from integrations.booking.hours import CalendarSettingsError, WorkingHours
from integrations.outbox.channels.slack import MANAGER_CHANNEL
from integrations.outbox.outbox import enqueue
from integrations.routing import Rep, RoutingPolicy, lead_segments
from integrations.store.db import transaction
from integrations.store.models import Lead

logger = logging.getLogger(__name__)
DEFAULT_FIRST_TOUCH_MINUTES = 5.0
REP_CHANNELS = ("local_log", "slack", "webhook")


def first_touch_minutes(routing: RoutingPolicy) -> float:
    try:
        return max(0.5, float(routing.speed_to_lead.get("first_touch_minutes", DEFAULT_FIRST_TOUCH_MINUTES)))
    except (TypeError, ValueError):
        return DEFAULT_FIRST_TOUCH_MINUTES


def manager(routing: RoutingPolicy) -> Rep:
    data = routing.speed_to_lead.get("manager")
    if isinstance(data, dict) and data.get("name") and data.get("email"):
        return Rep(str(data["name"]), str(data["email"]), slack=data.get("slack"))
    return routing.fallback


def first_touch_deadline(now: datetime, rep: Rep, minutes: float) -> datetime:
    """`minutes` of the rep's working time after `now` (now + minutes when their hours cannot be read)."""
    remaining = timedelta(minutes=minutes)
    try:
        hours = WorkingHours.parse(rep.timezone, rep.working_hours)
    except CalendarSettingsError:
        return now + remaining
    for opens, closes in hours.intervals(now, now + timedelta(days=14)):
        start = max(opens, now)
        if start + remaining <= closes:
            return start + remaining
        remaining -= closes - start
    return now + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Escalation:
    lead_id: int
    from_rep: str | None
    to_rep: str
    second_miss: bool


def escalate_overdue(database_url: str, routing: RoutingPolicy, channels: list[str], now: datetime) -> list[Escalation]:
    """Re-route every hot lead whose first-touch deadline passed without a claim; announce each one."""
    done: list[Escalation] = []
    rep_channels = [channel for channel in channels if channel in REP_CHANNELS]
    # the manager's own Slack webhook when reps.yml sets one, instead of the team's Slack webhook
    manager_channels = (
        [channel for channel in rep_channels if channel != "slack"] + [MANAGER_CHANNEL]
        if MANAGER_CHANNEL in channels
        else rep_channels
    )
    with transaction(database_url) as session:
        overdue = session.scalars(
            select(Lead)
            .where(
                Lead.temperature == "hot",
                Lead.status == "new",
                Lead.claimed_at.is_(None),
                Lead.first_touch_by.is_not(None),
                Lead.first_touch_by <= now,
            )
            .with_for_update(skip_locked=True)
        ).all()
        for lead in overdue:
            previous = lead.assigned_rep
            second_miss = lead.escalations >= 1
            target = routing.fallback if second_miss else _next_rep(routing, lead)
            lead.assigned_rep = target.name
            lead.escalations += 1
            lead.first_touch_by = (
                None
                if second_miss or target is routing.fallback
                else first_touch_deadline(now, target, first_touch_minutes(routing))
            )
            lead.updated_at = now
            minutes = first_touch_minutes(routing)
            why = f"not claimed within {minutes:g} working minutes by {previous or 'anyone'}"
            where = "the fallback queue" if target is routing.fallback else target.name
            who = f"{lead.person_name or 'no name'}, {lead.company or 'no company'}"
            text = f"ESCALATED hot lead {lead.id} ({who}): {why}; now with {where}"
            key = f"lead-{lead.id}-escalation-{lead.escalations}"
            for kind, rep, destinations in (
                ("escalated", target, rep_channels),
                ("escalation_manager", manager(routing), manager_channels),
            ):
                enqueue(
                    session,
                    kind=kind,
                    conversation_id=lead.conversation_id,
                    lead_id=lead.id,
                    key=key,
                    payload={
                        "text": text,
                        "rep": rep.as_payload(),
                        "lead_id": lead.id,
                        "from": previous,
                        "to": target.name,
                    },
                    channels=destinations,
                    now=now,
                )
            logger.warning("%s", text)
            done.append(Escalation(lead.id, previous, target.name, second_miss))
    return done


def _next_rep(routing: RoutingPolicy, lead: Lead) -> Rep:
    """The eligible rep after the current one (by name, as round-robin orders them); the fallback if none."""
    eligible = sorted(routing.eligible(lead_segments(lead.phone, lead.email)), key=lambda rep: rep.name)
    others = [rep for rep in eligible if rep.name != lead.assigned_rep]
    if not others:
        return routing.fallback
    names = [rep.name for rep in eligible]
    if lead.assigned_rep in names:
        after = names.index(lead.assigned_rep)
        return eligible[(after + 1) % len(eligible)]
    return others[0]


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    as_utc = [moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment for moment in (start, end)]
    return (as_utc[1] - as_utc[0]).total_seconds()
