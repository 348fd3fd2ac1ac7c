"""Which channels the environment enables, and how a half-configured one fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.channels.hubspot import HubSpotChannel
from integrations.outbox.channels.local_log import LocalLogChannel
from integrations.outbox.channels.salesforce import SalesforceChannel
from integrations.outbox.channels.slack import SlackChannel
from integrations.outbox.channels.webhook import WebhookChannel
from integrations.outbox.registry import ENV_VARIABLES, MisconfiguredChannel, configured_channels
from tests.unit.channels.fakes import WEBHOOK_SECRET, notification

FULL = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
    "WEBHOOK_URL": "https://crm.example/hooks/leads",
    "WEBHOOK_SECRET": WEBHOOK_SECRET,
    "HUBSPOT_TOKEN": "pat-na1-x",
    "SALESFORCE_OID": "00D000000000001",
    "CHANNEL_TIMEOUT_SECONDS": "2.5",
}


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch):
    for name in ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_only_the_local_log_without_configuration(env, tmp_path: Path) -> None:
    channels = configured_channels(tmp_path / "outbox.log")
    assert list(channels) == ["local_log"]
    assert isinstance(channels["local_log"], LocalLogChannel)


def test_the_secret_that_make_run_writes_enables_no_webhook_by_itself(env, tmp_path: Path) -> None:
    """Every .env gets a WEBHOOK_SECRET on the first `make run`; the webhook waits for WEBHOOK_URL."""
    env(WEBHOOK_SECRET=WEBHOOK_SECRET)
    assert list(configured_channels(tmp_path / "outbox.log")) == ["local_log"]


def test_every_configured_channel_is_enabled_with_defaults(env, tmp_path: Path) -> None:
    env(**FULL)
    channels = configured_channels(tmp_path / "outbox.log")
    assert list(channels) == ["local_log", "slack", "webhook", "hubspot", "salesforce"]
    assert isinstance(channels["slack"], SlackChannel)
    assert isinstance(channels["webhook"], WebhookChannel)
    hubspot, salesforce = channels["hubspot"], channels["salesforce"]
    assert isinstance(hubspot, HubSpotChannel) and isinstance(salesforce, SalesforceChannel)
    assert hubspot.url == "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert"
    assert salesforce.url == "https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8"
    assert {channel.timeout for name, channel in channels.items() if name != "local_log"} == {(2.5, 2.5)}
    assert {name: channel.name for name, channel in channels.items()} == {name: name for name in channels}


def test_overrides_and_session_reuse(env, tmp_path: Path) -> None:
    env(HUBSPOT_TOKEN="t", HUBSPOT_BASE_URL="https://api.hubapi.eu/", SALESFORCE_OID="o")
    env(SALESFORCE_WEB_TO_LEAD_URL="https://test.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8")
    env(SALESFORCE_RETURN_URL="https://acme.example/thanks")
    first = configured_channels(tmp_path / "outbox.log")
    assert first["hubspot"].url == "https://api.hubapi.eu/crm/v3/objects/contacts/batch/upsert"
    assert first["salesforce"].url.startswith("https://test.salesforce.com/")
    assert first["salesforce"].return_url == "https://acme.example/thanks"
    assert first["hubspot"].timeout == (5.0, 5.0)
    again = configured_channels(tmp_path / "outbox.log")
    assert again["hubspot"] is first["hubspot"]  # one session per channel, not one per call
    env(HUBSPOT_TOKEN="rotated")
    assert configured_channels(tmp_path / "outbox.log")["hubspot"] is not first["hubspot"]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"WEBHOOK_URL": "https://crm.example/hook"}, "WEBHOOK_SECRET is not"),
        ({"WEBHOOK_URL": "https://crm.example/hook", "WEBHOOK_SECRET": "whsec_%%%"}, "base64"),
        ({"WEBHOOK_URL": "https://crm.example/hook", "WEBHOOK_SECRET": "plain words"}, "whsec_ followed by base64"),
        ({"WEBHOOK_URL": "crm.example/hook", "WEBHOOK_SECRET": WEBHOOK_SECRET}, "https://"),
        ({"SLACK_WEBHOOK_URL": "hooks.slack.com/services/T0/B0/secret"}, "https://"),
    ],
)
def test_a_half_configured_channel_keeps_its_notifications_as_dead_letters(
    env, tmp_path: Path, values: dict[str, str], reason: str
) -> None:
    env(**values)
    [name] = [name for name in configured_channels(tmp_path / "outbox.log") if name != "local_log"]
    channel = configured_channels(tmp_path / "outbox.log")[name]
    assert isinstance(channel, MisconfiguredChannel)
    with pytest.raises(DeliveryError, match=reason) as caught:
        channel.send(notification())
    assert caught.value.permanent
    for value in values.values():  # neither the secret nor a URL (it may hold one) is repeated
        assert value not in str(caught.value)
