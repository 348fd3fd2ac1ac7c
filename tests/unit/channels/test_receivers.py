"""The end-to-end receivers (tests/support/receivers.py) refuse what Slack and a Standard Webhooks receiver would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.slack import SlackChannel
from integrations.outbox.channels.webhook import WebhookChannel, new_secret
from tests.support.receivers import Receivers
from tests.unit.channels.fakes import TIMEOUT, notification


@pytest.fixture()
def receivers() -> Iterator[Receivers]:
    started = Receivers().start()
    yield started
    started.stop()


def test_what_the_channels_send_is_accepted(receivers: Receivers) -> None:
    env = receivers.env()
    SlackChannel(env["SLACK_WEBHOOK_URL"], TIMEOUT).send(notification(channel="slack"))
    WebhookChannel(env["WEBHOOK_URL"], env["WEBHOOK_SECRET"], TIMEOUT).send(notification(channel="webhook"))
    assert [item.path for item in receivers.received] == ["/slack", "/webhook"]
    assert receivers.rejected == []


def test_a_webhook_signed_with_another_secret_is_refused(receivers: Receivers) -> None:
    env = receivers.env(webhook_secret=new_secret())
    with pytest.raises(DeliveryError, match="HTTP 401"):
        WebhookChannel(env["WEBHOOK_URL"], new_secret(), TIMEOUT).send(notification(channel="webhook"))
    [(item, reason)] = receivers.rejected
    assert item.path == "/webhook" and "No matching signature" in reason
    assert receivers.on("webhook") == []


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}, "150"),
        ({"blocks": [{"type": "section", "txt": {"type": "mrkdwn", "text": "x"}}]}, "text or fields"),
        ({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}]}, "does not know"),
        ({"text": ""}, "no_text"),
    ],
)
def test_slack_messages_slack_would_refuse_are_refused(receivers: Receivers, message: dict, reason: str) -> None:
    response = requests.post(receivers.env()["SLACK_WEBHOOK_URL"], json=message, timeout=5)
    assert response.status_code == 400 and reason in response.text
    assert receivers.on("slack") == [] and len(receivers.rejected) == 1
