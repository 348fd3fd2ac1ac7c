"""Store a lead and queue its notifications in one transaction, then deliver what is due."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_random_exponential

from integrations.handoff_limits import HandoffLimitedError, HandoffLimits, check_and_record
from integrations.leads.transcript_links import TranscriptLinks
from integrations.outbox.outbox import enqueue
from integrations.outbox.summary import lead_summary, returning_summary
from integrations.rasa.timeouts import lead_store_budget_seconds
from integrations.routing import Rep, RoutingPolicy, assign_rep, lead_segments
from integrations.store.db import transaction
from integrations.store.leads import LeadRecord, save_lead, utcnow
from integrations.store.models import Lead
from integrations.store.people import history

# Channels a rep reads. CRMs (HubSpot, Salesforce) are left out of returning-visitor notices: they
# would upsert the contact by email with details nobody verified.
REP_CHANNELS = ("local_log", "slack", "webhook")

logger = logging.getLogger(__name__)

# A database that is briefly locked or restarting is retried for a few seconds, within the time Rasa waits for
# the action (integrations/rasa/timeouts.py): past it the caller spools the lead and still answers the visitor.
_db_retry = retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_attempt(5) | stop_after_delay(lead_store_budget_seconds()),
    wait=wait_random_exponential(multiplier=0.1, max=1.5),
    reraise=True,
)


@dataclass(frozen=True)
class StoredLead:
    lead_id: int
    summary: dict[str, Any]
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
                payload=summary,
                channels=channels,
                now=now,
            )
        _announce_return(session, lead, earlier, summary, routing, channels, now)
        return StoredLead(lead.id, summary, rep)


def _announce_return(
    session,
    lead: Lead,
    earlier: list[Lead],
    summary: dict[str, Any],
    routing: RoutingPolicy,
    channels: list[str],
    now: datetime,
) -> None:
    """Tell the rep of the person's latest earlier lead (if it has one) that this person is back."""
    previous = next((other for other in reversed(earlier) if other.assigned_rep), None)
    if previous is None:
        return
    rep = _rep_named(routing, previous.assigned_rep)
    enqueue(
        session,
        kind="returning_person",
        conversation_id=lead.conversation_id,
        lead_id=lead.id,
        payload=returning_summary(summary, previous, rep.as_payload()),
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
    payload: dict[str, Any],
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
            contact = payload.get("contact") or {}
            rep = assign_rep(session, routing, lead_segments(contact.get("phone"), contact.get("email")))
            payload = {
                **payload,
                "rep": rep.as_payload(),
                "transcript_url": links.url(session, conversation_id, now),
            }
            enqueue(
                session,
                kind="handoff",
                conversation_id=conversation_id,
                key=request_key,
                payload=payload,
                channels=channels,
                now=now,
            )
            return HandoffOutcome(rep)
    except HandoffLimitedError as limited:
        logger.warning("hand-off of conversation %s not sent to reps: %s", conversation_id, limited)
        return HandoffOutcome(None, limited.reason)
