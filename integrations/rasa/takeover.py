"""A conversation a rep has taken over: the bot stays silent, the visitor's messages are still kept.

The rep console (integrations/console/) pauses a conversation through Rasa's HTTP API (a
`ConversationPaused` event appended to the tracker) and resumes it the same way. Rasa 3.6 honours
the pause for prediction (`MessageProcessor._should_handle_message`), but it still runs NLU and
`action_extract_slots` (our `action_validate_slot_mappings`) on every message first: what the
visitor says to the rep would fill or "correct" qualification answers, and each message would wait
for the action server before the rep sees it. So the chat channels ask `is_paused` first and, for a
paused conversation, only append the visitor's message to the tracker (`log_while_paused`), under
Rasa's own lock for that conversation, as Rasa's HTTP API appends events.

Rep messages reach the visitor through the same API (`POST /conversations/<id>/tracker/events`
with `execute_side_effects=true&output_channel=socketio`): a `BotUttered` whose metadata carries
`takeover_rep_name` and `takeover_message_id` (names no response template uses: the bot's own
responses put their template variables, `rep_name` among them, in the same metadata);
`RepOutput` emits it to the conversation's room as one `bot_uttered` with `rep` (the name the
widget shows) and `rep_message_id` (its id, for de-duplication).

Runs inside Rasa's environment: imports only rasa.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOOutput
from rasa.shared.core.events import UserUttered

logger = logging.getLogger(__name__)

REP_NAME_KEY = "takeover_rep_name"
REP_MESSAGE_ID_KEY = "takeover_message_id"


def _agent(app: Any) -> Any:
    return getattr(getattr(app, "ctx", None), "agent", None)


async def is_paused(app: Any, sender_id: str) -> bool:
    """Whether a rep holds this conversation (its tracker is paused); False when that cannot be told."""
    agent = _agent(app)
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return False
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception:
        logger.exception("Could not read the tracker of %s to check for a takeover", sender_id)
        return False
    return tracker is not None and tracker.is_paused()


async def log_while_paused(app: Any, message: UserMessage) -> bool:
    """Append the visitor's message to a paused conversation without NLU or actions.

    Returns False when the conversation is no longer paused (handed back meanwhile): the caller
    then gives the message to Rasa as usual.
    """
    agent = _agent(app)
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        if tracker is None or not tracker.is_paused():
            return False
        tracker.update(
            UserUttered(
                message.text,
                intent={},
                input_channel=message.input_channel,
                message_id=message.message_id,
                metadata=message.metadata,
            )
        )
        await agent.tracker_store.save(tracker)
    return True


class RepOutput(SocketIOOutput):
    """Rasa's socketio output; a rep's message goes out as one `bot_uttered` with the rep's name."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        rep = kwargs.get(REP_NAME_KEY)
        if not isinstance(rep, str) or not rep:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        reply: dict[str, Any] = {"text": text, "rep": rep}
        if isinstance(kwargs.get(REP_MESSAGE_ID_KEY), str):
            reply["rep_message_id"] = kwargs[REP_MESSAGE_ID_KEY]
        await self._send_message(recipient_id, reply)
