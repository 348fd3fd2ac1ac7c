"""HubSpot CRM v3: create or update the contact (upsert by email) with the qualification on it.

The custom properties (lead_stage, lead_score, and one `bant_<question>` per qualification question:
bant_need, ..., bant_company_size for a question a marketer added) must exist in the HubSpot account;
HubSpot rejects unknown properties with a 400, which ends up as a dead letter naming the property.
Properties without a value are left out rather than sent empty, so a hand-off from a returning visitor
does not wipe the stage and score an earlier conversation wrote.
"""

from __future__ import annotations

from typing import Any

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.http import (
    Timeout,
    delivery_errors,
    describe_body,
    new_session,
    post,
    raise_for_answer,
)
from integrations.outbox.summary import LeadSummary, split_name
from integrations.store.models import Notification

DEFAULT_BASE_URL = "https://api.hubapi.com"
UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
MAX_PROPERTY = 65_000  # HubSpot text properties hold 65,536 characters


class HubSpotChannel:
    name = "hubspot"

    def __init__(self, token: str, base_url: str, timeout: Timeout) -> None:
        self.url = base_url.rstrip("/") + UPSERT_PATH
        self.timeout = timeout
        self.session = new_session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def send(self, notification: Notification) -> None:
        with delivery_errors(self.name):
            properties = contact_properties(notification)
            email = properties.get("email")
            if not email:
                raise DeliveryError("hubspot: no email, nothing to create", permanent=True)
            body = {"inputs": [{"idProperty": "email", "id": email, "properties": properties}]}
            response = post(self.session, self.url, service=self.name, timeout=self.timeout, json=body)
            raise_for_answer(response, self.name)
            _check_results(response)


def contact_properties(notification: Notification) -> dict[str, str]:
    """HubSpot contact properties for the notification; values are strings, as HubSpot returns them."""
    lead = LeadSummary.from_payload(notification.payload)
    first_name, last_name = split_name(lead.name)
    values: dict[str, Any] = {
        "email": lead.email,
        "firstname": first_name,
        "lastname": last_name,
        "company": lead.company,
        "phone": lead.phone,
        "lead_stage": lead.stage,
        "lead_score": lead.score,
        "lead_temperature": lead.temperature,
        **{f"bant_{answer.question}": answer.shown for answer in lead.answered},
        "lead_source_page": lead.source.get("page_url"),
        "lead_transcript_url": lead.transcript_url,
    }
    return {key: str(value)[:MAX_PROPERTY] for key, value in values.items() if value is not None and value != ""}


def _check_results(response: Any) -> None:
    """A 2xx must carry `results`; anything else is a malformed answer (a proxy page, a truncated body)."""
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryError(
            f"hubspot: malformed answer to HTTP {response.status_code} (not JSON): {describe_body(response, 120)}"
        ) from None
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise DeliveryError(f"hubspot: malformed answer to HTTP {response.status_code} (no results list)")
    errors = answer.get("errors") or []
    if errors and not answer["results"]:
        first = errors[0] if isinstance(errors[0], dict) else {}
        raise DeliveryError(f"hubspot: contact rejected: {first.get('message') or errors[0]}", permanent=True)
