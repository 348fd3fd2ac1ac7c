"""Stop, hand-off, goodbye and greeting count only when the message is that request.

DIET reads "stop our AEs chasing junk leads" as `stop` and "our human reps can't keep up" as
`human_handoff`, and Rasa's rules then end or divert the conversation. This component, placed
after the intent classifier and before the FallbackClassifier, keeps such a global intent only
when the message is short (three words or fewer: "stop", "talk to a human", "bye") or is phrased
as the request itself ("can I speak to someone from sales?", "please stop asking"). Otherwise
the global intents go to the bottom of the ranking and the rest is renormalised, so the message
is read as what it most likely is among the other intents (usually an answer).

Runs inside Rasa's process (a graph component named in config.yml): imports only Rasa and the
standard library.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from integrations.rasa.global_requests import REQUESTS, demote, is_the_request

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class GlobalIntentGate(GraphComponent, IntentClassifier):
    """Keeps stop, human_handoff, goodbye and greet only when the message is that request."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intents": sorted(REQUESTS)}

    def __init__(self, config: dict[str, Any]) -> None:
        self.gated = frozenset(config.get("intents") or REQUESTS) & frozenset(REQUESTS)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GlobalIntentGate:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.data.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT) or ""
            if intent in self.gated and not text.startswith("/") and not is_the_request(str(intent), text):
                logger.debug("'%s' is not a %s request; reading it as an answer", text[:80], intent)
                demote(message.data, self.gated)
        return messages
