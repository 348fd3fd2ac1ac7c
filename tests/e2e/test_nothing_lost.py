"""Every downstream down: 50 qualified leads are stored with pending notifications, and each is
delivered exactly once per channel when the downstreams come back."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_plus

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.conversations import SQL_ANSWERS, letters
from integrations.runtime.stack import Stack
from integrations.store.models import Lead, Notification
from tests.e2e.conftest import Visitor
from tests.support.ports import port
from tests.support.receivers import Receivers, verify_webhook
from tests.support.stacks import isolated_config, running_stack

LEADS = 50
CHANNELS = ("slack", "webhook", "hubspot", "salesforce")


@pytest.fixture(scope="module")
def receivers() -> Receivers:
    receivers = Receivers()  # not started: nothing listens on its port yet
    yield receivers
    receivers.stop()


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory: pytest.TempPathFactory, receivers: Receivers):
    schedule = {"OUTBOX_BASE_DELAY_SECONDS": "0.2", "OUTBOX_MAX_DELAY_SECONDS": "2", "OUTBOX_MAX_ATTEMPTS": "1000"}
    extra_env = {**receivers.env(), **schedule, "CHANNEL_TIMEOUT_SECONDS": "2"}
    config = isolated_config(tmp_path_factory.mktemp("outage"), port(15105), port(15155), port(18180), extra_env)
    with running_stack(config, "outage") as stack:
        yield stack


def qualify(stack: Stack, index: int) -> str:
    visitor = Visitor(stack)
    visitor.converse(*SQL_ANSWERS)
    visitor.converse(f"Lead {letters(index)}", f"lead{index}@nothing-lost.io", f"Company {letters(index)}", "/skip")
    replies = visitor.say("/affirm")
    assert "from our sales team will contact you" in visitor.texts(replies)
    return visitor.id


def count(stack: Stack, *where) -> int:
    with Session(create_engine(stack.config.database_url)) as session:
        return session.scalar(select(func.count()).select_from(Notification).where(*where))


def test_nothing_is_lost_and_nothing_is_sent_twice(outage_stack: Stack, receivers: Receivers) -> None:
    with ThreadPoolExecutor(max_workers=5) as pool:
        conversations = list(pool.map(lambda index: qualify(outage_stack, index), range(LEADS)))
    assert len(set(conversations)) == LEADS

    with Session(create_engine(outage_stack.config.database_url)) as session:
        leads = list(session.scalars(select(Lead).where(Lead.email.like("%@nothing-lost.io"))))
    assert len(leads) == LEADS and all(lead.stage == "SQL" and lead.assigned_rep for lead in leads)
    time.sleep(1)
    pending = count(outage_stack, Notification.status.in_(("pending", "sending")), Notification.channel.in_(CHANNELS))
    assert pending == LEADS * len(CHANNELS)
    assert count(outage_stack, Notification.status == "dead") == 0

    receivers.start()  # the downstreams come back
    deadline = time.monotonic() + 120
    while count(outage_stack, Notification.status != "sent") and time.monotonic() < deadline:
        time.sleep(1)
    assert receivers.rejected == []  # Slack's block models and the Standard Webhooks library accepted everything
    assert count(outage_stack, Notification.status != "sent") == 0
    assert count(outage_stack, Notification.status == "sent") == LEADS * (len(CHANNELS) + 1)  # + local log

    emails = {lead.email for lead in leads}
    for service in CHANNELS:
        bodies = [unquote_plus(item.body.decode()) for item in receivers.on(service)]  # Salesforce posts a form
        per_lead = Counter(email for email in emails for body in bodies if email in body)
        assert per_lead == dict.fromkeys(emails, 1), f"{service}: each lead exactly once"
    webhook_ids = [item.headers["webhook-id"] for item in receivers.on("webhook")]
    assert len(webhook_ids) == len(set(webhook_ids)) == LEADS
    secret = outage_stack.config.extra_env["WEBHOOK_SECRET"]
    for item in receivers.on("webhook"):
        verify_webhook(secret, item.headers, item.body)  # the reference library, as the receiver did on arrival
        assert json.loads(item.body)["type"] == "lead.qualified"
