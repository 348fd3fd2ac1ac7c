"""Which channels are enabled: the local log always; real channels when `.env` configures them.

The webhook is enabled by WEBHOOK_URL; WEBHOOK_SECRET alone enables nothing, because the first `make run`
writes a secret into every `.env` (scripts/ensure_env.py), ready for the day a receiver's URL is set.

A channel that is half configured (a webhook URL without its secret, a malformed secret or URL) is still
enabled, as a channel whose deliveries fail permanently with the reason: its notifications are kept as
dead letters that can be retried once the configuration is fixed, instead of never being written.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path

from integrations import settings
from integrations.outbox.channels.base import Channel, DeliveryError
from integrations.outbox.channels.email import EmailChannel
from integrations.outbox.channels.http import Timeout, timeout_from_env
from integrations.outbox.channels.hubspot import DEFAULT_BASE_URL, HubSpotChannel
from integrations.outbox.channels.local_log import LocalLogChannel
from integrations.outbox.channels.salesforce import DEFAULT_URL as SALESFORCE_DEFAULT_URL
from integrations.outbox.channels.salesforce import SalesforceChannel
from integrations.outbox.channels.slack import MANAGER_CHANNEL, ManagerSlackChannel, SlackChannel
from integrations.outbox.channels.webhook import WebhookChannel
from integrations.routing import load_policy, manager_slack_webhook
from integrations.store.models import Notification

logger = logging.getLogger(__name__)

ENV_VARIABLES = (
    "SLACK_WEBHOOK_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "HUBSPOT_TOKEN",
    "HUBSPOT_BASE_URL",
    "SALESFORCE_OID",
    "SALESFORCE_WEB_TO_LEAD_URL",
    "SALESFORCE_RETURN_URL",
    "CHANNEL_TIMEOUT_SECONDS",
    "SMTP_URL",
    "SMTP_FROM",
)
# Channels that deliver only what is addressed to them (booking invitations), never a lead's hand-off.
ADDRESSED_CHANNELS = frozenset({"email", MANAGER_CHANNEL})


class MisconfiguredChannel:
    """Stands in for a channel whose settings are unusable; every delivery is a dead letter saying why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def send(self, notification: Notification) -> None:
        raise DeliveryError(f"{self.name} is misconfigured: {self.reason}", permanent=True)


def configured_channels(outbox_log: Path) -> dict[str, Channel]:
    values = tuple((name, settings.value(name)) for name in ENV_VARIABLES)
    channels = {"local_log": LocalLogChannel(outbox_log), **_remote_channels(values)}
    webhook = _manager_webhook()
    if webhook:
        channels[MANAGER_CHANNEL] = _checked(MANAGER_CHANNEL, webhook) or _manager_channel(
            webhook, timeout_from_env(dict(values))
        )
    return channels


def _manager_webhook() -> str | None:
    """The manager's Slack webhook from reps.yml (re-read when the file changes); None when unset or unreadable."""
    try:
        return manager_slack_webhook(load_policy(settings.path("REPS_FILE")).speed_to_lead)
    except Exception as error:  # the hand-off path reports an unreadable reps.yml itself
        logger.debug("no manager Slack webhook: %s", error)
        return None


@functools.lru_cache(maxsize=4)
def _manager_channel(webhook_url: str, timeout: Timeout) -> Channel:
    return ManagerSlackChannel(webhook_url, timeout)


@functools.lru_cache(maxsize=4)
def _remote_channels(values: tuple[tuple[str, str], ...]) -> dict[str, Channel]:
    """Built once per configuration, so each channel keeps one HTTP session (and its open connections)."""
    env = dict(values)
    timeout = timeout_from_env(env)
    channels: dict[str, Channel] = {}
    if env["SLACK_WEBHOOK_URL"]:
        channels["slack"] = _checked("slack", env["SLACK_WEBHOOK_URL"]) or SlackChannel(
            env["SLACK_WEBHOOK_URL"], timeout
        )
    if env["WEBHOOK_URL"]:
        channels["webhook"] = _webhook(env, timeout)
    if env["HUBSPOT_TOKEN"]:
        base_url = env["HUBSPOT_BASE_URL"] or DEFAULT_BASE_URL
        channels["hubspot"] = _checked("hubspot", base_url) or HubSpotChannel(env["HUBSPOT_TOKEN"], base_url, timeout)
    if env["SALESFORCE_OID"]:
        url = env["SALESFORCE_WEB_TO_LEAD_URL"] or SALESFORCE_DEFAULT_URL
        channels["salesforce"] = _checked("salesforce", url) or SalesforceChannel(
            env["SALESFORCE_OID"], url, timeout, return_url=env["SALESFORCE_RETURN_URL"] or None
        )
    if env["SMTP_URL"]:
        try:
            channels["email"] = EmailChannel(env["SMTP_URL"], env["SMTP_FROM"], max(timeout))
        except ValueError as error:
            channels["email"] = MisconfiguredChannel("email", str(error))
    for channel in channels.values():
        if isinstance(channel, MisconfiguredChannel):
            logger.error(
                "%s is misconfigured: %s; its notifications will be dead letters", channel.name, channel.reason
            )
    return channels


def _webhook(env: Mapping[str, str], timeout: Timeout) -> Channel:
    if not env["WEBHOOK_SECRET"]:
        return MisconfiguredChannel("webhook", "WEBHOOK_URL is set but WEBHOOK_SECRET is not (messages must be signed)")
    problem = _checked("webhook", env["WEBHOOK_URL"])
    if problem:
        return problem
    try:
        return WebhookChannel(env["WEBHOOK_URL"], env["WEBHOOK_SECRET"], timeout)
    except ValueError as error:
        return MisconfiguredChannel("webhook", f"WEBHOOK_SECRET: {error}")


def _checked(name: str, url: str) -> MisconfiguredChannel | None:
    """Only http(s) URLs; the URL itself is not repeated in the reason because it may hold a secret."""
    if url.startswith(("https://", "http://")) and len(url) > len("https://"):
        return None
    return MisconfiguredChannel(name, "its URL must start with https:// (or http://)")
