"""Rasa's command line (`rasa run`, `rasa shell`, ...) with a fix for its slowest hot path and a bounded action call.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate(result, schema)`.
That function first validates the *schema itself* against the JSON Schema 2020-12 meta-schema,
on every call. A form turn makes several action calls, and under load (bench/load/, profiled
with py-spy) this re-check took about 65 % of the Rasa server's CPU. `install()` makes Rasa
validate each answer against the same schema with a validator built once: the same answers are
accepted and refused, with the same error message.

Rasa 3.6 also waits up to a fixed 300 s for each call to the action server, so a hung action
server (for example stopped with `kill -STOP`) left every visitor without an answer for five
minutes. `bound_action_calls()` makes that `ACTION_TIMEOUT_SECONDS` (integrations/rasa/timeouts.py,
default 10) and turns the timeout into the error Rasa expects from a failing action server
(`RasaException`): Rasa then logs it, goes on with the turn and saves the tracker, so the
visitor's message is kept and the channel answers with its polite "technical problem" text.
Before, the timeout escaped Rasa's slot-extraction step and the turn was lost with the message.
After one timeout, further calls for the same conversation fail at once for the next
`ACTION_TIMEOUT_SECONDS`, so one turn (up to ten predicted actions) waits one timeout, not ten.

    .venvs/rasa/bin/python -m integrations.rasa.server run --enable-api ...

Runs inside Rasa's environment: imports only rasa, jsonschema and the standard library.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from integrations import settings
from integrations.rasa.timeouts import action_timeout_seconds

logger = logging.getLogger(__name__)
MAX_CONVERSATIONS = 10_000


class CoolDown:
    """Conversations whose last action call timed out, each until `seconds` after it (oldest forgotten)."""

    def __init__(self, seconds: float, max_keys: int = MAX_CONVERSATIONS) -> None:
        self.seconds = seconds
        self.max_keys = max_keys
        self._until: OrderedDict[str, float] = OrderedDict()

    def trip(self, key: str, now: float | None = None) -> None:
        self._until.pop(key, None)
        self._until[key] = (time.monotonic() if now is None else now) + self.seconds
        if len(self._until) > self.max_keys:
            self._until.popitem(last=False)

    def active(self, key: str, now: float | None = None) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if (time.monotonic() if now is None else now) < until:
            return True
        del self._until[key]
        return False


def install() -> None:
    """Replace RemoteAction's per-call schema check with a validator compiled once."""
    # Imported here, like Rasa: the module also serves as the `rasa` script of an environment without them.
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def bound_action_calls(timeout: float | None = None) -> None:
    """Bound every call to the action server at `timeout` seconds (default ACTION_TIMEOUT_SECONDS)."""
    import rasa.core.actions.action as action_module
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.exceptions import RasaException

    seconds = action_timeout_seconds() if timeout is None else timeout
    # RemoteAction.run passes this module global to aiohttp as the call's total timeout.
    action_module.DEFAULT_REQUEST_TIMEOUT = seconds  # type: ignore[attr-defined]
    original_run = RemoteAction.run
    cooling = CoolDown(seconds)

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        conversation = tracker.sender_id
        if cooling.active(conversation):
            raise RasaException(
                f"Skipped custom action '{self.name()}': the action server did not answer this conversation's "
                f"previous call within {seconds:g}s."
            )
        try:
            return await original_run(self, output_channel, nlg, tracker, domain)
        except asyncio.TimeoutError as error:
            cooling.trip(conversation)
            logger.error(
                "ALERT the action server did not answer '%s' within %gs (conversation %s); the turn goes on without it",
                self.name(),
                seconds,
                conversation,
            )
            raise RasaException(f"Custom action '{self.name()}' timed out after {seconds:g}s.") from error

    RemoteAction.run = run  # type: ignore[method-assign]


PROJECT_STORIES = "tests/stories"


def with_project_defaults(argv: list[str], cwd: Path) -> list[str]:
    """`rasa test` from the project's root evaluates the project's stories, not every test_*.yml under `.`.

    Rasa 3.6 searches "." by default, following links, so it would also find the starter bot's stories
    inside .venvs/ and the deliberately broken fixtures of tests/marketer.
    """
    if len(argv) > 1 and argv[1] == "test" and (cwd / PROJECT_STORIES).is_dir():
        given = any(arg in ("-s", "--stories") or arg.startswith("--stories=") for arg in argv[2:])
        if not given:
            return [*argv, "--stories", PROJECT_STORIES]
    return argv


def main() -> None:
    """Rasa's own command line (`rasa run`, `rasa shell`, `rasa test`, ...) with the fixes above.

    It is the `rasa` command of the Rasa environment (pyproject.toml `[project.scripts]`).
    """
    try:
        from rasa.__main__ import main as rasa_main
    except ImportError:
        sys.exit("rasa: this environment has no Rasa; use .venvs/rasa/bin/rasa (make envs builds it)")
    settings.load_env()  # before the channels and the lock store read their limits
    install()
    bound_action_calls()
    sys.argv = with_project_defaults(sys.argv, Path.cwd())
    rasa_main()


if __name__ == "__main__":
    main()
