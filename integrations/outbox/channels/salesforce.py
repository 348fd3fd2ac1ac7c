"""Salesforce Web-to-Lead: a form POST that creates a Lead, with no API user or OAuth app to set up.

Salesforce answers 200 to almost anything and reports bad input by e-mail to the admin, so this channel
fills the fields Salesforce requires (last name, company) and clips every field to Salesforce's length
limits rather than have the lead dropped silently.
"""

from __future__ import annotations

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.http import Timeout, delivery_errors, new_session, post, raise_for_answer
from integrations.outbox.summary import LeadSummary, split_name
from integrations.store.models import Notification

DEFAULT_URL = "https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8"
LEAD_SOURCE = "Website chat"
NOT_GIVEN = "[not provided]"
# Standard Lead field lengths; Web-to-Lead drops a lead whose field is too long.
LIMITS = {"first_name": 40, "last_name": 80, "email": 80, "company": 255, "phone": 40, "description": 32_000}
HANDOFF_TRANSCRIPT_LINES = 30


class SalesforceChannel:
    name = "salesforce"

    def __init__(self, oid: str, url: str, timeout: Timeout, return_url: str | None = None) -> None:
        self.oid = oid
        self.url = url
        self.return_url = return_url
        self.timeout = timeout
        self.session = new_session()

    def send(self, notification: Notification) -> None:
        with delivery_errors(self.name):
            form = lead_form(notification, self.oid, self.return_url)
            if not (form.get("email") or form.get("phone")):
                raise DeliveryError("salesforce: no email or phone, nothing to create", permanent=True)
            response = post(self.session, self.url, service=self.name, timeout=self.timeout, data=form)
            raise_for_answer(response, self.name)


def lead_form(notification: Notification, oid: str, return_url: str | None = None) -> dict[str, str]:
    lead = LeadSummary.from_payload(notification.payload)
    first_name, last_name = split_name(lead.name)
    form = {
        "oid": oid,
        "first_name": first_name or "",
        # a one-word name is all the visitor gave; Salesforce requires a last name
        "last_name": last_name or first_name or NOT_GIVEN,
        "email": lead.email or "",
        "company": lead.company or NOT_GIVEN,
        "phone": lead.phone or "",
        "lead_source": LEAD_SOURCE,
        "description": description(notification.kind, lead),
    }
    if first_name and not last_name:
        form["first_name"] = ""
    form = {key: value[: LIMITS[key]] if key in LIMITS else value for key, value in form.items()}
    if return_url:
        form["retURL"] = return_url
    return {key: value for key, value in form.items() if value}


def description(kind: str, lead: LeadSummary) -> str:
    """The plain-text summary a rep reads in the Lead record (every answer); a hand-off adds the transcript so far."""
    if kind != "handoff":
        return lead.text
    lines = [lead.text]
    if lead.transcript:
        lines.append("Transcript so far:")
        for line in lead.transcript[-HANDOFF_TRANSCRIPT_LINES:]:
            speaker = "Visitor" if line.get("from") == "visitor" else "Bot"
            lines.append(f"{speaker}: {line.get('text') or ''}")
    return "\n".join(lines)
