"""The fix for Rasa's action-result check accepts and refuses exactly what Rasa's own check does."""

from __future__ import annotations

import json
import subprocess

from stack import RASA_PYTHON, ROOT

# Runs in Rasa's environment: compares RemoteAction._validate_action_result before and after install().
COMPARE = """
import json, sys
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
import integrations.rasa_server as fix

cases = json.loads(sys.argv[1])
action = RemoteAction.__new__(RemoteAction)

def outcome(result):
    try:
        return ["ok", action._validate_action_result(result)]
    except ValidationError as error:
        return ["refused", error.message]

before = [outcome(case) for case in cases]
fix.install()
after = [outcome(case) for case in cases]
print(json.dumps({"before": before, "after": after}))
"""

CASES = [
    {"events": [{"event": "slot", "name": "need", "value": "defined"}], "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {},
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [{"text": "x"}], "events": [{"event": "slot", "name": "x", "value": {"nested": [1, 2]}}]},
    {"events": [{"event": 42}]},
]


def test_patched_validation_matches_rasas_own() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", COMPARE, json.dumps(CASES)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcomes["after"] == outcomes["before"]
    assert [kind for kind, _ in outcomes["after"]] == ["ok", "ok", "ok", "refused", "refused", "ok", "refused"]
