"""The fix for Rasa's action-result check accepts and refuses exactly what Rasa's own check does."""

from __future__ import annotations

import json
import subprocess

import pytest

from integrations.runtime.stack import RASA_PYTHON, ROOT

# Runs in Rasa's environment: compares RemoteAction._validate_action_result before and after install().
COMPARE = """
import json, sys
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
import integrations.rasa.server as fix

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
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcomes["after"] == outcomes["before"]
    assert [kind for kind, _ in outcomes["after"]] == ["ok", "ok", "ok", "refused", "refused", "ok", "refused"]


# Runs in Rasa's environment: an action server that accepts the call and never answers (like one stopped with
# kill -STOP), and Rasa's RemoteAction calling it for two conversations, with and without bound_action_calls().
HUNG_SERVER = """
import asyncio, json, socket, sys, time
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
import integrations.rasa.server as fix

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)  # the kernel accepts the connection; nobody ever reads or answers
url = f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"
if sys.argv[1] == "bounded":
    fix.bound_action_calls()

async def call(conversation):
    action = RemoteAction("action_qualify_lead", EndpointConfig(url))
    tracker = DialogueStateTracker(conversation, slots=[])
    started = time.monotonic()
    try:
        await action.run(None, None, tracker, Domain.empty())
        outcome = "answered"
    except RasaException as error:
        outcome = "RasaException: " + str(error)
    except Exception as error:
        outcome = type(error).__name__
    return [outcome, round(time.monotonic() - started, 2)]

async def main():
    results = [await call("visitor-1"), await call("visitor-1"), await call("visitor-2")]
    print(json.dumps(results))

asyncio.run(main())
"""


def run_against_hung_server(mode: str, timeout_seconds: str, limit: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RASA_PYTHON), "-c", HUNG_SERVER, mode],
        capture_output=True,
        text=True,
        timeout=limit,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ACTION_TIMEOUT_SECONDS": timeout_seconds},
    )


def test_a_hung_action_server_is_given_up_on_after_the_action_timeout() -> None:
    result = run_against_hung_server("bounded", "1.5", limit=120)
    assert result.returncode == 0, result.stderr[-3000:]
    first, again, other = json.loads(result.stdout.strip().splitlines()[-1])
    # the error Rasa's slot extraction and prediction loop handle (the turn goes on and the tracker is saved)
    assert first[0] == "RasaException: Custom action 'action_qualify_lead' timed out after 1.5s.", first
    assert 1.4 <= first[1] < 4, first
    # the same conversation's next call in the cool-down fails at once: one turn waits one timeout, not ten
    assert again[0].startswith("RasaException: Skipped custom action") and again[1] < 0.5, again
    assert other[0].startswith("RasaException: Custom action") and 1.4 <= other[1] < 4, other  # others still try
    assert "ALERT the action server did not answer 'action_qualify_lead' within 1.5s" in result.stderr


def test_without_the_bound_rasa_waits_far_longer_and_raises_what_it_does_not_handle() -> None:
    """What bound_action_calls() fixes: Rasa's own 300 s wait (cut here at 8 s by the subprocess limit)."""
    with pytest.raises(subprocess.TimeoutExpired):
        run_against_hung_server("rasa", "1.5", limit=8)


def test_rasa_test_from_the_root_evaluates_the_project_stories(tmp_path) -> None:
    from integrations.rasa.server import with_project_defaults

    (tmp_path / "tests" / "stories").mkdir(parents=True)
    assert with_project_defaults(["rasa", "test"], tmp_path) == ["rasa", "test", "--stories", "tests/stories"]
    assert with_project_defaults(["rasa", "test", "core"], tmp_path)[-2:] == ["--stories", "tests/stories"]
    assert with_project_defaults(["rasa", "test", "-s", "x"], tmp_path) == ["rasa", "test", "-s", "x"]
    assert with_project_defaults(["rasa", "test", "--stories=x"], tmp_path) == ["rasa", "test", "--stories=x"]
    assert with_project_defaults(["rasa", "shell"], tmp_path) == ["rasa", "shell"]
    assert with_project_defaults(["rasa", "test"], tmp_path / "tests") == ["rasa", "test"]  # not a project root
