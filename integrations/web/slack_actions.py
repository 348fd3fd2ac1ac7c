"""Slack's interactivity request for the Claim button of a hot lead's message: `POST /slack/interactions`.

Every request is verified with the Slack app's signing secret (slack-sdk's SignatureVerifier: the
`X-Slack-Signature` HMAC of `v0:<timestamp>:<body>`, and a timestamp within 5 minutes); anything else is
refused with 401, and nothing happens without SLACK_SIGNING_SECRET. The Slack user who clicked is matched
to a rep by the `slack` ID in reps.yml; the claim is the leads CLI's (integrations/leads/queries.py), so
it stops the speed-to-lead escalation and refuses a lead another rep holds.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from integrations import settings as config
from integrations.leads.queries import NotFoundError, RefusedError, claim_lead
from integrations.outbox.channels.slack import CLAIM_ACTION
from integrations.routing import load_policy
from integrations.settings import Settings
from integrations.store.db import transaction

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


def interaction(body: bytes, headers: dict[str, str], now: datetime) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON answer for one interactivity request."""
    secret = config.value("SLACK_SIGNING_SECRET")
    verifier = SignatureVerifier(secret) if secret else None
    if verifier is None or not verifier.is_valid_request(body, headers):
        logger.warning("refused a Slack interaction with a missing or wrong signature")
        return 401, {"error": "invalid signature"}
    try:
        payload = json.loads(parse_qs(body.decode())["payload"][0])
        action = next(item for item in payload.get("actions") or [] if item.get("action_id") == CLAIM_ACTION)
        lead_id = int(action["value"])
        user = str((payload.get("user") or {}).get("id") or "")
    except (KeyError, IndexError, ValueError, StopIteration, TypeError):
        return 400, {"error": "not a claim"}
    settings = Settings.from_env()
    rep = next((rep for rep in load_policy(settings.reps_file).reps if rep.slack and rep.slack == user), None)
    if rep is None:
        return 200, {"response_type": "ephemeral", "text": "Only a rep listed in reps.yml can claim leads."}
    try:
        with transaction(settings.database_url) as session:
            change = claim_lead(session, lead_id, rep.name, force=False, now=now)
    except (NotFoundError, RefusedError) as error:
        return 200, {"response_type": "ephemeral", "text": str(error)}
    return 200, {"response_type": "in_channel", "text": change.message}
