"""The one door from the dialogue to the sales team: `hand_over(lead, settings)` and `request_human(...)`.

The dialogue's actions give a lead (or a visitor's request for a person) and the settings; this module
does the rest: it gives a hot lead its rep (routing), writes the lead and its notifications in one
transaction (the outbox), shapes what every channel receives (one `LeadSummary`), starts the delivery
at once, and when the database will not take it, spools it for the dispatcher to store later. It never
imports the dialogue (bot/): the questions arrive as data, inside the lead's answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from integrations.answers import Answer
from integrations.console.links import console_link
from integrations.handoff_limits import HandoffLimitedError, HandoffLimits, check_and_record
from integrations.leads.transcript_links import TranscriptLinks
from integrations.outbox.background import deliver_soon
from integrations.outbox.outbox import enqueue
from integrations.outbox.registry import ADDRESSED_CHANNELS, configured_channels
from integrations.outbox.summary import HUMAN_REQUESTED, LeadSummary, lead_summary, returning_summary
from integrations.rasa.timeouts import lead_store_budget_seconds
from integrations.routing import Rep, RoutingPolicy, assign_rep, lead_segments
from integrations.routing import load_policy as load_routing
from integrations.settings import Settings
from integrations.speed_to_lead import first_touch_deadline, first_touch_minutes
from integrations.spool import replay_spool, spool_handoff, spool_lead, spooled_handoff_since
from integrations.store.db import transaction
from integrations.store.leads import LeadRecord, save_lead, utcnow
from integrations.store.models import Lead
from integrations.store.people import history

# Channels a rep reads. CRMs (HubSpot, Salesforce) are left out of returning-visitor notices: they
# would upsert the contact by email with details nobody verified.
REP_CHANNELS = ("local_log", "slack", "webhook")

logger = logging.getLogger(__name__)

# What the dialogue needs from here, so its actions import the door and nothing else for a hand-off.
__all__ = [
    "HUMAN_REQUESTED",
    "Answer",
    "Conversation",
    "HandedOver",
    "HumanRequested",
    "LeadRecord",
    "hand_over",
    "replay_spooled",
    "request_human",
    "store_handoff_request",
    "store_lead",
]


# --- the door --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandedOver:
    """What became of a lead: stored (with its id and a hot lead's rep) or spooled until the database is back."""

    lead_id: int | None
    rep: Rep | None = None
    summary: LeadSummary | None = None

    @property
    def stored(self) -> bool:
        return self.lead_id is not None


def hand_over(lead: LeadRecord, settings: Settings) -> HandedOver:
    """Store the lead and queue its notifications (a hot lead gets its rep), then deliver them at once.

    A database that stays down past the retries does not lose the lead: it is spooled, and the
    dispatcher stores it (with its notifications) when the database is back.
    """
    try:
        stored = store_lead(
            settings.database_url,
            lead,
            links=TranscriptLinks.from_settings(settings),
            channels=_channels(settings),
            routing=load_routing(settings.reps_file),
        )
    except Exception:
        logger.exception("could not store the lead of conversation %s", lead.conversation_id)
        _spool_lead(settings.lead_spool, lead)
        return HandedOver(None)
    deliver_soon(settings.database_url, settings.outbox_log, conversation_id=lead.conversation_id)
    return HandedOver(stored.lead_id, stored.rep, stored.summary)


@dataclass(frozen=True)
class Conversation:
    """A conversation whose visitor wants a person now: who they said they are and what they answered so far."""

    conversation_id: str
    request_key: str  # one per request, so a replayed request is stored once
    name: str | None = None
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    answers: list[Answer] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    client: str | None = None  # who the chat channel says the visitor is, for the per-client limit


@dataclass(frozen=True)
class HumanRequested:
    rep: Rep | None
    limited: str | None = None  # why no rep was alerted: "conversation", "client" or "overall"
    spooled: bool = False


def request_human(
    conversation: Conversation,
    reason: str = HUMAN_REQUESTED,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> HumanRequested:
    """Alert the next rep in turn at once (within the hand-off limits) with the transcript so far.

    A request the database would not take is spooled (once per conversation within the limit) and
    stored by the dispatcher later.
    """
    now = now or utcnow()
    summary = LeadSummary(
        name=conversation.name,
        company=conversation.company,
        email=conversation.email,
        phone=conversation.phone,
        answers=list(conversation.answers),
        source=dict(conversation.source),
        request=reason,
        transcript=list(conversation.transcript),
    )
    try:
        outcome = store_handoff_request(
            settings.database_url,
            conversation_id=conversation.conversation_id,
            request_key=conversation.request_key,
            summary=summary,
            client=conversation.client,
            channels=_channels(settings),
            routing=load_routing(settings.reps_file),
            links=TranscriptLinks.from_settings(settings),
            limits=settings.handoff_limits,
            now=now,
        )
    except Exception:
        logger.exception("could not record the hand-off request of %s", conversation.conversation_id)
        request = {
            "conversation_id": conversation.conversation_id,
            "request_key": conversation.request_key,
            "payload": summary.as_payload(),
            "client": conversation.client,
            "requested_at": now.isoformat(),
        }
        limited = _spool_handoff(settings, request, now)
        return HumanRequested(None, limited, spooled=limited is None)
    if outcome.limited is None:
        deliver_soon(settings.database_url, settings.outbox_log, conversation_id=conversation.conversation_id)
    return HumanRequested(outcome.rep, outcome.limited)


def replay_spooled(settings: Settings, channels: list[str]) -> int:
    """Store what the spool holds (leads and hand-offs), one attempt each: the dispatcher's next round retries."""
    return replay_spool(
        settings.lead_spool,
        lambda record: _store_spooled_lead(settings, channels, record),
        lambda request: _store_spooled_handoff(settings, channels, request),
    )


def _channels(settings: Settings) -> list[str]:
    return [name for name in configured_channels(settings.outbox_log) if name not in ADDRESSED_CHANNELS]


def _spool_lead(spool: Path, record: LeadRecord) -> None:
    try:
        spool_lead(spool, record)
        logger.error(
            "ALERT lead of conversation %s spooled to %s until the database is back", record.conversation_id, spool
        )
    except Exception:
        logger.exception("ALERT lead of conversation %s LOST: could not spool it either", record.conversation_id)


def _spool_handoff(settings: Settings, request: dict[str, Any], now: datetime) -> str | None:
    """Spool a hand-off; "conversation" if one of this conversation is spooled already (the limit holds)."""
    since = now - timedelta(minutes=settings.handoff_limits.conversation_minutes)
    conversation_id = request["conversation_id"]
    try:
        if spooled_handoff_since(settings.lead_spool, conversation_id, since):
            return "conversation"
        spool_handoff(settings.lead_spool, request)
        logger.error("ALERT hand-off of conversation %s spooled until the database is back", conversation_id)
    except Exception:
        logger.exception("ALERT hand-off of conversation %s LOST: could not spool it either", conversation_id)
    return None


def _store_spooled_lead(settings: Settings, channels: list[str], record: LeadRecord) -> None:
    once = store_lead.retry_with(stop=stop_after_attempt(1))
    once(
        settings.database_url,
        record,
        links=TranscriptLinks.from_settings(settings),
        channels=channels,
        routing=load_routing(settings.reps_file),
    )


def _store_spooled_handoff(settings: Settings, channels: list[str], request: dict[str, Any]) -> None:
    """One attempt to store a spooled hand-off request, at the time it was made (for its limits)."""
    once = store_handoff_request.retry_with(stop=stop_after_attempt(1))
    once(
        settings.database_url,
        conversation_id=request["conversation_id"],
        request_key=request["request_key"],
        summary=LeadSummary.from_payload(_spooled_payload(request["payload"])),
        client=request.get("client"),
        channels=channels,
        routing=load_routing(settings.reps_file),
        links=TranscriptLinks.from_settings(settings),
        limits=settings.handoff_limits,
        now=datetime.fromisoformat(request["requested_at"]),
    )


def _spooled_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A hand-off spooled by the code before revision 0004 (`contact`, `answers` by question) in the summary shape."""
    if not isinstance(payload.get("contact"), dict):
        return payload
    contact = payload["contact"]
    raw_answers = payload.get("answers")
    answered: dict[str, Any] = raw_answers if isinstance(raw_answers, dict) else {}
    labels = {"need": "Need", "authority": "Authority", "budget": "Budget", "timeline": "Timeline"}
    return {
        **{key: value for key, value in payload.items() if key not in ("contact", "answers", "text")},
        "name": contact.get("person_name"),
        **{key: contact.get(key) for key in ("email", "company", "phone")},
        "answers": [{"question": key, "label": label, "category": answered.get(key)} for key, label in labels.items()],
        "request": payload.get("text") or HUMAN_REQUESTED,
    }


# --- behind the door: one transaction each ---------------------------------------------------------------------------


class _PastTheBudget(stop_base):
    """tenacity's stop_after_delay, with the budget read at each try rather than once at import."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        return stop_after_delay(lead_store_budget_seconds())(retry_state)


_past_the_budget = _PastTheBudget()

# A database that is briefly locked or restarting is retried for a few seconds, within the time Rasa waits for
# the action (integrations/rasa/timeouts.py): past it the caller spools the lead and still answers the visitor.
_db_retry = retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_attempt(5) | _past_the_budget,
    wait=wait_random_exponential(multiplier=0.1, max=1.5),
    reraise=True,
)


@dataclass(frozen=True)
class StoredLead:
    lead_id: int
    summary: LeadSummary
    rep: Rep | None


def _rep_named(policy: RoutingPolicy, name: str) -> Rep:
    return next((rep for rep in policy.reps if rep.name == name), policy.fallback)


@_db_retry
def store_lead(
    database_url: str,
    record: LeadRecord,
    *,
    links: TranscriptLinks,
    channels: list[str],
    routing: RoutingPolicy,
    now: datetime | None = None,
) -> StoredLead:
    """Write the lead, give a hot lead its rep (once), and queue the reps' notifications, all in one transaction.

    A person who comes back (an earlier conversation gave the same email) is announced to the rep of
    their latest earlier lead that has one.
    """
    now = now or utcnow()
    with transaction(database_url) as session:
        lead = save_lead(session, record, now)
        rep = None
        if lead.stage in routing.assign_stages:
            if lead.assigned_rep:
                rep = _rep_named(routing, lead.assigned_rep)
            else:
                rep = assign_rep(session, routing, lead_segments(lead.phone, lead.email))
                lead.assigned_rep = rep.name
                if lead.temperature == "hot" and rep is not routing.fallback:
                    lead.first_touch_by = first_touch_deadline(now, rep, first_touch_minutes(routing))
                session.flush()
        earlier = [other for other in history(session, lead) if other.id < lead.id]
        link = links.url(session, lead.conversation_id, now)
        summary = lead_summary(lead, link, rep.as_payload() if rep else None, [other.id for other in earlier])
        if rep is not None:
            enqueue(
                session,
                kind="sql_lead",
                conversation_id=record.conversation_id,
                lead_id=lead.id,
                payload=summary.as_payload(),
                channels=channels,
                now=now,
            )
        _announce_return(session, lead, earlier, summary, routing, channels, now)
        return StoredLead(lead.id, summary, rep)


def _announce_return(
    session,
    lead: Lead,
    earlier: list[Lead],
    summary: LeadSummary,
    routing: RoutingPolicy,
    channels: list[str],
    now: datetime,
) -> None:
    """Tell the rep of the person's latest earlier lead (if it has one) that this person is back."""
    previous = next((other for other in reversed(earlier) if other.assigned_rep), None)
    if previous is None:
        return
    rep = _rep_named(routing, previous.assigned_rep or "")
    enqueue(
        session,
        kind="returning_person",
        conversation_id=lead.conversation_id,
        lead_id=lead.id,
        payload=returning_summary(summary, previous, rep.as_payload()).as_payload(),
        channels=[channel for channel in channels if channel in REP_CHANNELS],
        now=now,
    )


@dataclass(frozen=True)
class HandoffOutcome:
    rep: Rep | None
    limited: str | None = None  # why no rep was alerted: "conversation", "client" or "overall"


@_db_retry
def store_handoff_request(
    database_url: str,
    *,
    conversation_id: str,
    request_key: str,
    summary: LeadSummary,
    channels: list[str],
    routing: RoutingPolicy,
    links: TranscriptLinks,
    limits: HandoffLimits | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> HandoffOutcome:
    """Queue an immediate hand-off to the next rep in turn (or the fallback queue), within the limits."""
    now = now or utcnow()
    try:
        with transaction(database_url) as session:
            check_and_record(session, limits or HandoffLimits(), conversation_id, client, now)
            rep = assign_rep(session, routing, lead_segments(summary.phone, summary.email))
            routed = replace(
                summary,
                request=summary.request or HUMAN_REQUESTED,
                rep=rep.as_payload(),
                transcript_url=links.url(session, conversation_id, now),
                console_url=console_link(conversation_id),
            ).with_text()
            enqueue(
                session,
                kind="handoff",
                conversation_id=conversation_id,
                key=request_key,
                payload=routed.as_payload(),
                channels=channels,
                now=now,
            )
            return HandoffOutcome(rep)
    except HandoffLimitedError as limited:
        logger.warning("hand-off of conversation %s not sent to reps: %s", conversation_id, limited)
        return HandoffOutcome(None, limited.reason)
