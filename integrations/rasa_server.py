"""Rasa's command line (`rasa run`, `rasa shell`, ...) with a fix for its slowest hot path.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate(result, schema)`.
That function first validates the *schema itself* against the JSON Schema 2020-12 meta-schema,
on every call. A form turn makes several action calls, and under load (bench/load.py, profiled
with py-spy) this re-check took about 65 % of the Rasa server's CPU. `install()` makes Rasa
validate each answer against the same schema with a validator built once: the same answers are
accepted and refused, with the same error message.

    .venvs/rasa/bin/python -m integrations.rasa_server run --enable-api ...

Runs inside Rasa's environment: imports only rasa, jsonschema and the standard library.
"""

from __future__ import annotations

from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match


def install() -> None:
    """Replace RemoteAction's per-call schema check with a validator compiled once."""
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


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
