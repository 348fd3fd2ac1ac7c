"""Store a lead and queue its notifications in one transaction, then deliver what is due."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.outbox import enqueue
from integrations.outbox.registry import configured_channels
from integrations.outbox.summary import lead_summary
from integrations.store.db import transaction
from integrations.store.leads import LeadRecord, save_lead

logger = logging.getLogger(__name__)

# Stages whose leads a rep must hear about at once.
NOTIFY_STAGES = frozenset({"SQL"})

# A database that is briefly locked or restarting is retried for about three seconds.
_db_retry = retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_attempt(5),
    wait=wait_random_exponential(multiplier=0.1, max=1.5),
    reraise=True,
)


@dataclass(frozen=True)
class StoredLead:
    lead_id: int
    summary: dict[str, Any]


@_db_retry
def store_lead(database_url: str, record: LeadRecord, *, transcript_url: str, channels: list[str]) -> StoredLead:
    with transaction(database_url) as session:
        lead = save_lead(session, record)
        summary = lead_summary(lead, transcript_url)
        if lead.stage in NOTIFY_STAGES:
            enqueue(
                session,
                kind="sql_lead",
                conversation_id=record.conversation_id,
                lead_id=lead.id,
                payload=summary,
                channels=channels,
            )
        return StoredLead(lead.id, summary)


@_db_retry
def store_handoff_request(
    database_url: str,
    *,
    conversation_id: str,
    request_key: str,
    payload: dict[str, Any],
    channels: list[str],
) -> None:
    with transaction(database_url) as session:
        enqueue(
            session,
            kind="handoff",
            conversation_id=conversation_id,
            key=request_key,
            payload=payload,
            channels=channels,
        )


def deliver_now(database_url: str, outbox_log, conversation_id: str | None = None) -> None:
    """Best-effort immediate delivery; whatever fails stays pending for the dispatcher."""
    try:
        dispatch_due(database_url, configured_channels(outbox_log), conversation_id=conversation_id)
    except Exception:
        logger.exception("immediate delivery failed; notifications stay pending")
