"""Each channel through the real dispatcher and a SQLite outbox: a failed try is retried later, then delivered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from integrations.outbox.channels.base import Channel
from integrations.outbox.channels.hubspot import HubSpotChannel
from integrations.outbox.channels.salesforce import SalesforceChannel
from integrations.outbox.channels.slack import SlackChannel
from integrations.outbox.channels.webhook import WebhookChannel
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.outbox import enqueue
from integrations.store.db import transaction
from integrations.store.leads import utcnow
from integrations.store.models import Notification
from tests.unit.channels.fakes import (
    DROP,
    HUBSPOT_TOKEN,
    SALESFORCE_OID,
    SLACK_PATH,
    TIMEOUT,
    WEBHOOK_SECRET,
    FakeService,
    HubSpot,
    Reply,
    WebhookReceiver,
    WebToLead,
    handoff_payload,
    lead_payload,
    slack_validator,
)

Setup = Callable[[Callable[[Any], FakeService]], tuple[FakeService, Channel]]


def slack(fake) -> tuple[FakeService, Channel]:
    service = fake(slack_validator)
    return service, SlackChannel(service.base_url + SLACK_PATH, TIMEOUT)


def webhook(fake) -> tuple[FakeService, Channel]:
    service = fake(WebhookReceiver())
    return service, WebhookChannel(service.base_url + "/hooks/leads", WEBHOOK_SECRET, TIMEOUT)


def hubspot(fake) -> tuple[FakeService, Channel]:
    service = fake(HubSpot())
    return service, HubSpotChannel(HUBSPOT_TOKEN, service.base_url, TIMEOUT)


def salesforce(fake) -> tuple[FakeService, Channel]:
    service = fake(WebToLead())
    url = service.base_url + "/servlet/servlet.WebToLead?encoding=UTF-8"
    return service, SalesforceChannel(SALESFORCE_OID, url, TIMEOUT)


def queue(database_url: str, channel: str, kind: str = "sql_lead") -> None:
    payload = lead_payload() if kind == "sql_lead" else handoff_payload()
    with transaction(database_url) as session:
        enqueue(session, kind=kind, conversation_id="c-1", payload=payload, channels=[channel], key="c-1")


def stored(database_url: str) -> Notification:
    with transaction(database_url) as session:
        [notification] = session.scalars(select(Notification))
        return notification


@pytest.mark.parametrize(
    ("setup", "trouble"),
    [
        (slack, Reply(429, "rate_limited", {"Retry-After": "30"})),
        (webhook, Reply(429, "slow down", {"Retry-After": "30"})),
        (hubspot, Reply(429, '{"status":"error","message":"secondly limit"}', {"Retry-After": "30"})),
        (salesforce, Reply(503, "<html>Service Unavailable</html>", {"Retry-After": "30"})),
    ],
    ids=["slack", "webhook", "hubspot", "salesforce"],
)
def test_retry_after_is_honoured_then_delivered(fake, database_url: str, setup: Setup, trouble: Reply) -> None:
    service, channel = setup(fake)
    service.then(trouble)
    queue(database_url, channel.name)
    start = utcnow()
    assert dispatch_due(database_url, {channel.name: channel}).retried == 1
    waiting = stored(database_url)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "HTTP" in waiting.last_error
    assert waiting.next_attempt_at.replace(tzinfo=start.tzinfo) >= start + timedelta(seconds=30)
    assert dispatch_due(database_url, {channel.name: channel}).sent == 0  # not due yet
    assert dispatch_due(database_url, {channel.name: channel}, now=start + timedelta(hours=1)).sent == 1
    delivered = stored(database_url)
    assert (delivered.status, delivered.attempts, delivered.last_error) == ("sent", 2, None)
    assert len(service.requests) == 2


@pytest.mark.parametrize(
    "setup", [slack, webhook, hubspot, salesforce], ids=["slack", "webhook", "hubspot", "salesforce"]
)
def test_a_dropped_connection_is_retried_then_the_handoff_delivered(fake, database_url: str, setup: Setup) -> None:
    service, channel = setup(fake)
    service.then(DROP)
    queue(database_url, channel.name, kind="handoff")
    assert dispatch_due(database_url, {channel.name: channel}).retried == 1
    assert "connection" in stored(database_url).last_error
    assert dispatch_due(database_url, {channel.name: channel}, now=utcnow() + timedelta(hours=1)).sent == 1
    assert stored(database_url).status == "sent"


def test_a_permanent_failure_is_a_dead_letter_at_once(fake, database_url: str) -> None:
    service = fake(HubSpot())
    channel = HubSpotChannel("pat-na1-revoked", service.base_url, TIMEOUT)
    queue(database_url, "hubspot")
    assert dispatch_due(database_url, {"hubspot": channel}).dead == 1
    dead = stored(database_url)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error.startswith("hubspot: HTTP 401")


# the webhook forwards any JSON payload as it is, so only the channels that read the payload are here
@pytest.mark.parametrize("setup", [slack, hubspot, salesforce], ids=["slack", "hubspot", "salesforce"])
def test_a_payload_the_channel_cannot_read_is_a_dead_letter_not_a_stuck_queue(
    fake, database_url: str, setup: Setup
) -> None:
    """Only DeliveryError is handled by the dispatcher; a crash would block every notification behind this one."""
    service, channel = setup(fake)
    with transaction(database_url) as session:
        payload = {"email": "x@acme.io", "name": ["not", "a", "name"], "answers": 42, "transcript": 7, "source": "?"}
        enqueue(session, kind="handoff", conversation_id="c-9", payload=payload, channels=[channel.name], key="bad")
        enqueue(session, kind="sql_lead", conversation_id="c-1", payload=lead_payload(), channels=[channel.name])
    report = dispatch_due(database_url, {channel.name: channel})
    assert (report.dead, report.sent) == (1, 1)
    assert len(service.requests) == 1  # the unreadable one never left
    with transaction(database_url) as session:
        dead = session.scalars(select(Notification).where(Notification.status == "dead")).one()
        assert dead.last_error.startswith(f"{channel.name}: cannot deliver (UnreadablePayloadError")
