"""Salesforce Web-to-Lead against a local server that, like Salesforce, answers 200 and only creates valid leads."""

from __future__ import annotations

import pytest

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.salesforce import SalesforceChannel
from tests.unit.channels.fakes import DROP, SALESFORCE_OID, SLOW_SECONDS, TIMEOUT, Reply, WebToLead, notification

PATH = "/servlet/servlet.WebToLead?encoding=UTF-8"


@pytest.fixture()
def salesforce(fake):
    org = WebToLead()
    service = fake(org)
    return service, org, SalesforceChannel(SALESFORCE_OID, service.base_url + PATH, TIMEOUT)


def test_a_qualified_lead_becomes_a_salesforce_lead(salesforce) -> None:
    service, org, channel = salesforce
    channel.send(notification(channel="salesforce"))
    [request] = service.requests
    assert request.path == PATH
    assert org.rejected == []
    assert org.leads == [
        {
            "oid": SALESFORCE_OID,
            "first_name": "Maria",
            "last_name": "López",
            "email": "maria.lopez@globex.com",
            "company": "Globex Inc.",
            "phone": "+14155552671",
            "lead_source": "Website chat",
            "description": "HOT lead (SQL, score 100): Maria López at Globex Inc.",
        }
    ]


def test_required_fields_are_filled_and_the_return_url_is_sent(fake) -> None:
    org = WebToLead()
    service = fake(org)
    channel = SalesforceChannel(
        SALESFORCE_OID, service.base_url + PATH, TIMEOUT, return_url="https://acme.example/thanks"
    )
    contact = {"name": "Ana", "email": "ana@acme.io", "company": None, "phone": None}
    text = "Visitor asked to talk to a human: Ana\nContact: ana@acme.io\nNeed: defined"
    channel.send(notification("handoff", channel="salesforce", text=text, **contact))
    [lead] = org.leads
    assert (lead["last_name"], lead["company"], lead["retURL"]) == (
        "Ana",
        "[not provided]",
        "https://acme.example/thanks",
    )
    assert "first_name" not in lead
    assert lead["description"].splitlines() == [
        "Visitor asked to talk to a human: Ana",
        "Contact: ana@acme.io",
        "Need: defined",
        "Transcript so far:",
        "Visitor: hi",
        "Bot: Hello! What brings you here?",
        "Visitor: can I talk to a person?",
    ]


def test_fields_are_clipped_to_salesforce_lengths(salesforce) -> None:
    _, org, channel = salesforce
    channel.send(notification(channel="salesforce", name="A" * 100 + " " + "B" * 100, company="C" * 300))
    [lead] = org.leads
    assert (len(lead["first_name"]), len(lead["last_name"]), len(lead["company"])) == (40, 80, 255)


def test_without_email_or_phone_nothing_is_sent(salesforce) -> None:
    service, _, channel = salesforce
    with pytest.raises(DeliveryError, match="no email or phone") as caught:
        channel.send(notification(channel="salesforce", email=None, phone=None))
    assert caught.value.permanent
    assert service.requests == []


def test_a_wrong_url_is_permanent(fake) -> None:
    service = fake(WebToLead())
    with pytest.raises(DeliveryError, match="HTTP 404") as caught:
        SalesforceChannel(SALESFORCE_OID, service.base_url + "/servlet/nope", TIMEOUT).send(notification())
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("trouble", "leads"),
    [
        (Reply(500, "<html>Internal error</html>"), 1),
        (DROP, 1),
        # processed, but too late: Web-to-Lead has no idempotency key, so the retry makes a second lead
        (Reply(200, delay=SLOW_SECONDS), 2),
    ],
)
def test_trouble_is_retried_then_delivered(salesforce, trouble, leads: int) -> None:
    service, org, channel = salesforce
    service.then(trouble)
    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="salesforce"))
    assert not caught.value.permanent
    channel.send(notification(channel="salesforce"))
    assert len(org.leads) == leads
