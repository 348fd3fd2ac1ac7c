"""Store a lead and queue its notifications in one transaction, then deliver what is due."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_random_exponential

from integrations.outbox.outbox import enqueue
from integrations.outbox.summary import lead_summary
from integrations.routing import Rep, RoutingPolicy, assign_rep, lead_segments
from integrations.store.db import transaction
from integrations.store.leads import LeadRecord, save_lead
from integrations.timeouts import lead_store_budget_seconds

logger = logging.getLogger(__name__)

# A database that is briefly locked or restarting is retried for a few seconds, within the time Rasa waits for
# the action (integrations/timeouts.py): past it the caller spools the lead and still answers the visitor.
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
    database_url: str, record: LeadRecord, *, transcript_url: str, channels: list[str], routing: RoutingPolicy
) -> StoredLead:
    """Write the lead, give a hot lead its rep (once), and queue the rep's notifications, all in one transaction."""
    with transaction(database_url) as session:
        lead = save_lead(session, record)
        rep = None
        if lead.stage in routing.assign_stages:
            if lead.assigned_rep:
                rep = _rep_named(routing, lead.assigned_rep)
            else:
                rep = assign_rep(session, routing, lead_segments(lead.phone, lead.email))
                lead.assigned_rep = rep.name
                session.flush()
        summary = lead_summary(lead, transcript_url, rep.as_payload() if rep else None)
        if rep is not None:
            enqueue(
                session,
                kind="sql_lead",
                conversation_id=record.conversation_id,
                lead_id=lead.id,
                payload=summary,
                channels=channels,
            )
        return StoredLead(lead.id, summary, rep)


@_db_retry
def store_handoff_request(
    database_url: str,
    *,
    conversation_id: str,
    request_key: str,
    payload: dict[str, Any],
    channels: list[str],
    routing: RoutingPolicy,
) -> Rep:
    """Queue an immediate hand-off to the next rep in turn (or the fallback queue)."""
    with transaction(database_url) as session:
        contact = payload.get("contact") or {}
        rep = assign_rep(session, routing, lead_segments(contact.get("phone"), contact.get("email")))
        payload = {**payload, "rep": rep.as_payload()}
        enqueue(
            session,
            kind="handoff",
            conversation_id=conversation_id,
            key=request_key,
            payload=payload,
            channels=channels,
        )
        return rep
