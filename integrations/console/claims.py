"""Claiming a conversation's hot lead from the console: the same claim as the leads CLI and Slack's button.

The claim is `integrations.leads.queries.claim_lead`, so it records `claimed_at` (time to claim) on the
first claim, stops the speed-to-lead escalation and refuses a lead that another rep holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from integrations.leads.queries import NotFoundError, RefusedError, claim_lead, same_rep
from integrations.store.db import transaction
from integrations.store.models import Lead


@dataclass(frozen=True)
class Outcome:
    status: int  # the HTTP status the console answers with
    message: str
    claimed_by: str | None


def _newest_lead(session: Any, conversation_id: str) -> Lead | None:
    query = select(Lead).where(Lead.conversation_id == conversation_id).order_by(Lead.id.desc()).limit(1)
    return session.scalars(query).first()


def lead_summary(url: str, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's newest lead as the console shows it: who has it and whether it can be claimed."""
    with transaction(url) as session:
        lead = _newest_lead(session, conversation_id)
        if lead is None:
            return None
        return {
            "id": lead.id,
            "temperature": lead.temperature,
            "status": lead.status,
            "assigned_rep": lead.assigned_rep,
            "claimed": lead.claimed_at is not None,
            "claimable": lead.temperature == "hot" and lead.status == "new" and lead.claimed_at is None,
        }


def claim(url: str, conversation_id: str, rep_name: str, now: datetime) -> Outcome:
    """Claim the conversation's newest lead for `rep_name` (the signed-in rep's name in reps.yml)."""
    with transaction(url) as session:
        lead = _newest_lead(session, conversation_id)
        if lead is None:
            return Outcome(404, "this conversation has no lead yet", None)
        if lead.claimed_at is not None and not same_rep(lead.assigned_rep, rep_name):
            return Outcome(409, f"lead {lead.id} is already claimed by {lead.assigned_rep}", lead.assigned_rep)
        lead_id = lead.id
    try:
        with transaction(url) as session:
            change = claim_lead(session, lead_id, rep_name, force=False, now=now)
            holder = change.lead.assigned_rep
    except NotFoundError as error:  # erased meanwhile
        return Outcome(404, str(error), None)
    except RefusedError as error:  # assigned to another rep (routing or an escalation), or claimed meanwhile
        with transaction(url) as session:
            row = session.get(Lead, lead_id)
            holder = row.assigned_rep if row else None
        return Outcome(409, str(error).split(";")[0], holder)
    return Outcome(200, change.message, holder)
