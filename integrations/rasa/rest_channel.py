"""Rasa's REST channel that never answers with silence and refuses floods and oversized messages.

Registered in credentials.yml as `integrations.rasa.rest_channel.LeadRestInput`; keeps the
channel name `rest` and the URL `/webhooks/rest/webhook`. Changes to Rasa 3.6.21's channel:

* when the bot produced no reply (action server down, a custom action failed, any error in
  the turn), the visitor gets a polite "technical problem" message and an ERROR line starting
  with `ALERT` is logged, instead of HTTP 200 with an empty list;
* empty messages get a friendly hint and messages over `MAX_MESSAGE_CHARS` get HTTP 413,
  neither reaches Rasa;
* per-sender and per-IP rate limits (integrations/rasa/guards.py) answer HTTP 429 with
  `Retry-After`;
* a body whose `metadata` carries a non-empty honeypot field (`website`, see guards.py) gets
  a polite, normal-looking answer with HTTP 200 and a WARNING log line, and does not reach
  Rasa (no tracker events, no lead); neither do later messages of that conversation;
* a body that is not a JSON object gets HTTP 400 instead of a server error;
* a `sender` that is not a usable conversation id (guards.valid_conversation_id: a string of 1
  to 128 printable characters, no surrogates, NUL or control characters) gets HTTP 400 and
  never reaches the tracker store: Rasa's SQL tracker store turned a lone surrogate (the JSON
  escape `"\\udc00"`) into `sys.exit(1)`. A missing `sender` is Rasa's `default` as before;
* a body over `MAX_REQUEST_BYTES` (64 KiB) gets HTTP 413 before it is parsed;
* of the body's `metadata` only the lead-source keys reach the tracker, truncated like the
  socketio channel's (guards.source_metadata); a metadata that is not an object counts as
  none (it made the lead-source action fail: a false "technical problem" and an ALERT);
* `/restart`, `/back` and `/session_start` typed by a visitor are answered by the guard and do
  not reach Rasa (they would wipe or rewind the conversation).

A conversation a rep has taken over (integrations/rasa/takeover.py) keeps the visitor's message in
the tracker and answers `[]` (HTTP 200), without NLU, actions or the "technical problem" fallback:
the rep answers in the console.

Every refusal has the REST channel's body shape (`[{"recipient_id": ..., "text": ...}]`).
Streaming (`?stream=true`) gets the guards but not the empty-reply fallback.
Runs inside Rasa's environment: imports only rasa, sanic and the standard library.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from integrations.rasa.guards import (
    BAD_ID_TEXT,
    NO_REPLY_TEXT,
    Guard,
    Rejection,
    as_text,
    source_metadata,
    valid_conversation_id,
    with_client,
)
from integrations.rasa.takeover import is_paused, log_while_paused

logger = logging.getLogger(__name__)


def client_ip(request: Request) -> str | None:
    """The visitor's address: the forwarded one when Sanic is configured for a proxy, else the peer's."""
    try:
        return request.remote_addr or request.ip or None
    except Exception:  # a malformed forwarding header must not fail the request
        return None


def reply(sender: str, text: str, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """A REST channel answer with one bot message."""
    return response.json([{"recipient_id": sender, "text": text}], status=status, headers=headers)


def too_large(limit: int) -> HTTPResponse:
    text = f"That request is too large (more than {limit} bytes). Please send a shorter message."
    return reply("", text, 413)


def body_size(request: Request) -> int:
    """The request body's size: the declared Content-Length, or the bytes received when it is larger."""
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    return max(declared, len(request.body or b""))


def refusal(sender: str, rejection: Rejection) -> HTTPResponse:
    headers = {"Retry-After": str(rejection.retry_after)} if rejection.retry_after else None
    return reply(sender, rejection.text, rejection.status, headers)


class LeadRestInput(RestInput):
    """`RestInput` with limits and a polite answer instead of an empty one."""

    def __init__(self, guard: Guard | None = None) -> None:
        self.guard = guard or Guard()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> LeadRestInput:
        return cls()

    async def _extract_sender(self, req: Request) -> str | None:
        """The body's `sender` if it is a valid conversation id (None when it is missing or invalid)."""
        return valid_conversation_id(req.json.get("sender"))

    def get_metadata(self, request: Request) -> dict[str, str]:
        """Only the lead-source keys of the body's `metadata`, truncated; anything else counts as none."""
        return source_metadata(request.json.get("metadata"))

    def _extract_input_channel(self, req: Request) -> str:
        return valid_conversation_id(req.json.get("input_channel")) or self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """The channel's routes: GET / (health) and POST /webhook."""
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            if body_size(request) > self.guard.limits.max_request_bytes:
                return too_large(self.guard.limits.max_request_bytes)
            try:
                body = request.json
            except Exception:
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "send a JSON object with `sender` and `message`"}, status=400)
            sender_id = await self._extract_sender(request)
            if sender_id is None and body.get("sender") is not None:
                # ascii(): the refused id may hold surrogates or control characters that break log handlers
                logger.warning("Refused a REST message with the sender %.200s (not a valid id)", ascii(body["sender"]))
                return reply("", BAD_ID_TEXT, 400)
            text = as_text(self._extract_message(request))
            rejection = self.guard.screen(text, sender_id or "default", client_ip(request), body.get("metadata"))
            if rejection is not None:
                return refusal(sender_id or "default", rejection)
            input_channel = self._extract_input_channel(request)
            metadata = with_client(self.get_metadata(request), client_ip(request))
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender_id, input_channel=input_channel, metadata=metadata)
            if await is_paused(request.app, message.sender_id) and await log_while_paused(request.app, message):
                return response.json([])
            try:
                await on_new_message(message)
            except asyncio.CancelledError:
                logger.error("ALERT the turn of conversation %s timed out", message.sender_id)
            except Exception:
                logger.exception("ALERT the turn of conversation %s failed", message.sender_id)
            if not collector.messages:
                logger.error(
                    "ALERT no reply to a message of conversation %s (action server down or an action failed); "
                    "the visitor got the technical-problem message",
                    message.sender_id,
                )
                return reply(message.sender_id, NO_REPLY_TEXT)
            return response.json(collector.messages)

        return webhook
