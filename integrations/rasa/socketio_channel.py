"""Rasa's socketio channel, fixed for the website widget.

Registered in credentials.yml as `integrations.rasa.socketio_channel.LeadSocketIOInput`. It
keeps Rasa's settings, the channel name `socketio` and the standard events
(`session_request`/`session_confirm`, `user_uttered`/`bot_uttered`), so Rasa's tooling and
any socketio client keep working, and changes Rasa 3.6.21's channel in these ways:

* the socket joins its conversation's room: Rasa calls python-socketio 5.x's coroutine
  `enter_room` without awaiting it, so with `session_persistence` no reply ever reached
  the browser;
* the page URL, referrer and UTM parameters of the message metadata reach the tracker
  (the lead's source, read by `bot/actions/conversation.py`); other metadata keys are
  dropped and values are truncated, so a client cannot store arbitrary data;
* session and message ids are checked (guards.valid_conversation_id: 1 to 128 printable
  characters): a `session_request` with any other `session_id` is refused (WARNING) and
  confirmed with a fresh id chosen by the server, and a message carrying one is dropped
  (WARNING), so the id never reaches the tracker store (a lone surrogate in it made Rasa's
  SQL tracker store exit the server);
* a message that carries a `message_id` is handled once: when a client re-sends it after a
  dropped connection, the bot's replies to it are sent again to that socket instead of
  the message being processed twice;
* replies to such a message carry `reply_to` (the message id) and `index` (0, 1, ...), so a
  client can tell a repeated reply from a new one. Messages without `message_id` get
  exactly Rasa's replies;
* the guards of integrations/rasa/guards.py (shared with the REST channel): rate limits per
  session and client IP, empty and oversized messages answered without reaching Rasa, and a
  polite "technical problem" message plus an ERROR `ALERT` log line when the bot said nothing;
* the widget's honeypot: a message whose metadata carries a non-empty `website` value (a
  hidden field only bots fill) gets a polite, normal-looking reply and a WARNING log line and
  never reaches Rasa (no tracker events, no lead); neither do later messages of that session;
* origins are checked: Rasa turns python-engineio's check off (`cors_allowed_origins=[]`), so a
  page on any site could open a WebSocket to the chat. Here engineio refuses (HTTP 400) every
  polling or WebSocket request whose `Origin` header is not in ALLOWED_ORIGINS
  (integrations/rasa/origins.py; the same list as Rasa's `--cors`). Clients that send no Origin
  header (not browsers) are not affected;
* a conversation a rep has taken over (paused through Rasa's HTTP API, integrations/rasa/takeover.py)
  keeps the visitor's messages in the tracker without NLU or actions and without the "technical
  problem" fallback, and the output channel Rasa's HTTP API uses for `execute_side_effects`
  (`output_channel=socketio`) sends a rep's message as one `bot_uttered` with the rep's name.

Runs inside Rasa's environment: imports only rasa, sanic, socketio and integrations.settings.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager, AsyncServer

from integrations import settings
from integrations.rasa.guards import (
    NO_REPLY_TEXT,
    Guard,
    as_text,
    source_metadata,
    valid_conversation_id,
    with_client,
)
from integrations.rasa.origins import allowed_origins
from integrations.rasa.takeover import RepOutput, is_paused, log_while_paused

logger = logging.getLogger(__name__)

REMEMBERED_MESSAGES = 5000
HELD = {"held": True}  # the acknowledgement of a message kept for the rep who took the conversation over


class HandledMessage:
    """The replies to one client message, and whether the bot has finished answering it."""

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []
        self.done = asyncio.Event()
        self.held = False  # kept for a rep, not answered by the bot


class CountingOutput(SocketIOOutput):
    """Rasa's socketio output that counts the replies it sent."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


class RecordingOutput(CountingOutput):
    """Rasa's socketio output that numbers each reply to a message and keeps a copy of it."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str, message_id: str, handled: HandledMessage) -> None:
        super().__init__(sio, bot_message_evt)
        self.message_id = message_id
        self.handled = handled

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if isinstance(response, dict):
            response = {**response, "reply_to": self.message_id, "index": len(self.handled.replies)}
            self.handled.replies.append(response)
        await super()._send_message(socket_id, response)


def refuse_unlisted_origins(sio: AsyncServer, origins: tuple[str, ...]) -> None:
    """Turn on engineio's Origin check (Rasa creates the server with it off) for exactly `origins`.

    engineio then answers 400 to any request, polling or WebSocket, whose Origin header is not
    listed. The CORS headers of the allowed ones stay Sanic-CORS's (Rasa's `--cors`, the same
    list): engineio would add a second Access-Control-Allow-Origin, which browsers refuse.
    """
    if not origins:  # [] would mean "no check at all" to engineio
        raise ValueError("refuse_unlisted_origins needs at least one allowed origin")
    sio.eio.cors_allowed_origins = list(origins)
    sio.eio._cors_headers = lambda environ: []  # type: ignore[method-assign]


def share_rooms_through_redis(sio: AsyncServer) -> None:
    """With SOCKETIO_REDIS_URL, emit through python-socketio's AsyncRedisManager (pub/sub).

    Rasa creates its AsyncServer with the in-memory manager, so an emit reaches only the sockets of
    this process. With several Rasa servers, a rep's message appended through one of them must reach
    the visitor whose socket is on another: every server publishes its emits on the Redis channel and
    delivers those of its own rooms. Set before the first connection, when the server initialises it.
    """
    url = settings.value("SOCKETIO_REDIS_URL")
    if not url:
        return
    manager = AsyncRedisManager(url, channel=settings.value("SOCKETIO_REDIS_CHANNEL"))
    manager.set_server(sio)
    sio.manager = manager
    sio.manager_initialized = False
    logger.info("socket.io rooms shared through Redis (channel %s)", settings.value("SOCKETIO_REDIS_CHANNEL"))


class LeadSocketIOInput(SocketIOInput):
    """`SocketIOInput` that joins rooms, carries the lead's source and handles each message once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handled: OrderedDict[tuple[str, str], HandledMessage] = OrderedDict()
        self.guard = Guard()
        self.allowed_origins = allowed_origins()  # an invalid ALLOWED_ORIGINS stops Rasa at start-up

    def _client_ip(self, sid: str) -> str | None:
        """The client's address as Sanic sees it (engineio's environ always says 127.0.0.1)."""
        try:
            request = self.sio.get_environ(sid, namespace=self.namespace)["sanic.request"]  # type: ignore[union-attr]
            return request.remote_addr or request.ip or None
        except Exception:
            return None

    def _app(self, sid: str) -> Any:
        """The Sanic app serving this socket (its `ctx.agent` is Rasa's agent)."""
        try:
            return self.sio.get_environ(sid, namespace=self.namespace)["sanic.request"].app  # type: ignore[union-attr]
        except Exception:
            return None

    def get_output_channel(self) -> RepOutput | None:  # type: ignore[override]
        """The output Rasa's HTTP API sends through (`output_channel=socketio`): rep messages carry the name."""
        if self.sio is None:
            return None
        return RepOutput(self.sio, self.bot_message_evt)

    def _remember(self, key: tuple[str, str]) -> HandledMessage:
        handled = self._handled[key] = HandledMessage()
        if len(self._handled) > REMEMBERED_MESSAGES:
            self._handled.popitem(last=False)
        return handled

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by super().blueprint
        refuse_unlisted_origins(sio, self.allowed_origins)
        share_rooms_through_redis(sio)

        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            requested = data.get("session_id")
            session_id = valid_conversation_id(requested)
            if session_id is None:
                if requested is not None:  # ascii(): the id may hold surrogates or control characters
                    logger.warning("Refused the socketio session_id %.200s; gave a new one", ascii(requested))
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        async def handle_message(sid: str, data: Any) -> dict[str, Any] | None:
            if not isinstance(data, dict):
                return None
            if self.session_persistence:
                sender_id = valid_conversation_id(data.get("session_id"))
                if sender_id is None:
                    logger.warning("Ignored a socketio message without a valid session_id (send session_request).")
                    return None
            else:
                sender_id = sid
            message_id = valid_conversation_id(data.get("message_id"))
            key = (sender_id, message_id or "")
            if message_id is not None and key in self._handled:  # re-sent after a dropped connection
                earlier = self._handled[key]  # repeat the replies, once done
                await earlier.done.wait()
                for reply in earlier.replies:
                    await sio.emit(self.bot_message_evt, reply, room=sid, namespace=self.namespace)
                return HELD if earlier.held else None
            text = as_text(data.get("message"))
            rejection = self.guard.screen(text, sender_id, self._client_ip(sid), data.get(self.metadata_key))
            if rejection is not None:  # answered here; the message does not reach Rasa
                answer: dict[str, Any] = {"text": rejection.text}
                if message_id is not None:
                    answer.update(reply_to=message_id, index=0)
                await sio.emit(self.bot_message_evt, answer, room=sid, namespace=self.namespace)
                return None
            metadata = with_client(source_metadata(data.get(self.metadata_key)), self._client_ip(sid))
            app = self._app(sid)
            if await is_paused(app, sender_id):  # a rep has the conversation: keep the message, say nothing
                paused = UserMessage(
                    text, None, sender_id, input_channel=self.name(), message_id=message_id, metadata=metadata
                )
                if await log_while_paused(app, paused):
                    if message_id is not None:
                        kept = self._remember(key)
                        kept.held = True
                        kept.done.set()
                    return HELD  # the acknowledgement tells the widget that no bot reply is coming
            output: CountingOutput = CountingOutput(sio, self.bot_message_evt)
            handled: HandledMessage | None = None
            if message_id is not None:
                handled = self._remember(key)
                output = RecordingOutput(sio, self.bot_message_evt, message_id, handled)
            message = UserMessage(
                text,
                output,
                sender_id,
                input_channel=self.name(),
                message_id=message_id,
                metadata=metadata,
            )
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("ALERT the turn of conversation %s failed", sender_id)
            finally:
                try:
                    if output.sent == 0:
                        logger.error(
                            "ALERT no reply to a socketio message of conversation %s (action server down or an "
                            "action failed); the visitor got the technical-problem message",
                            sender_id,
                        )
                        await output.send_text_message(sender_id, NO_REPLY_TEXT)
                finally:
                    if handled is not None:
                        handled.done.set()
            return None

        # Replace the handlers Rasa registered for these events; connect/disconnect stay as they are.
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return socketio_webhook
