"""A real stack under `make run`'s supervision loop: no single process failure stops the assistant.

* Each process (action server, dispatcher, Rasa, demo page) is killed in turn with SIGKILL while a
  visitor is half-way through a hot lead's conversation; the supervisor (integrations/runtime/supervise.py)
  starts it again and the conversation goes on where it was, up to the stored lead.
* A hung action server (SIGSTOP) costs a visitor ACTION_TIMEOUT_SECONDS (3 s here), not Rasa's
  300 s: the polite answer arrives, the message is in the tracker, and after SIGCONT the
  conversation goes on.

One stack for this module, on its own ports (Rasa 15805, actions 15855, demo page 18880).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.conversations import SQL_ANSWERS
from integrations.rasa.guards import NO_REPLY_TEXT
from integrations.runtime.stack import Stack, wait_until_ok
from integrations.runtime.supervise import Backoff, Supervisor
from tests.e2e.conftest import Visitor, lead_rows
from tests.support.ports import port
from tests.support.stacks import isolated_config, running_stack

ACTION_TIMEOUT = 3.0
LOGS = "supervision"


class SupervisedStack:
    """A running stack with the supervision loop of `make run` in a background thread."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.lines: list[str] = []
        self.supervisor = Supervisor(
            lambda: stack.processes, stack.restart, stack.log_dir, Backoff(first=0.5), say=self.lines.append
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.supervisor.check()
            self._stop.wait(0.2)

    def __enter__(self) -> SupervisedStack:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisedStack]:
    config = isolated_config(
        tmp_path_factory.mktemp("supervision"),
        port(15805),
        port(15855),
        port(18880),
        extra_env={"ACTION_TIMEOUT_SECONDS": str(ACTION_TIMEOUT)},
    )
    with running_stack(config, LOGS, web=True) as stack, SupervisedStack(stack) as running:
        yield running


def ready(stack: Stack, name: str, timeout: float = 240.0) -> None:
    """Wait until process `name` answers again (the dispatcher has no port: it must just be running)."""
    config = stack.config
    urls = {
        "actions": f"{config.actions_url}/health",
        "rasa": f"{config.rasa_url}/status?token={config.rasa_token}",
        "web": f"http://127.0.0.1:{config.web_port}/",
    }
    if name in urls:
        wait_until_ok(urls[name], timeout)
    if name == "rasa":  # the HTTP server answers before the model is loaded
        deadline = time.monotonic() + timeout
        while not requests.get(urls["rasa"], timeout=5).json().get("model_file"):
            assert time.monotonic() < deadline, "Rasa came back without its model"
            time.sleep(0.5)


def kill(stack: Stack, name: str) -> int:
    process = stack.processes[name]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)
    return process.pid


def wait_restarted(running: SupervisedStack, name: str, old_pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while running.stack.processes[name].pid == old_pid or running.stack.processes[name].poll() is not None:
        assert time.monotonic() < deadline, f"{name} was not restarted: {running.lines}"
        time.sleep(0.2)


def test_each_process_killed_in_turn_comes_back_and_the_conversation_goes_on(supervised: SupervisedStack) -> None:
    stack = supervised.stack
    visitor = Visitor(stack)
    names = ["actions", "dispatcher", "rasa", "web"]
    answers = list(SQL_ANSWERS)
    visitor.say(answers.pop(0))
    for name in names:
        others = {other: process.pid for other, process in stack.processes.items() if other != name}
        old_pid = kill(stack, name)
        wait_restarted(supervised, name, old_pid)
        ready(stack, name)
        # the others were left alone, and the conversation continues where it was
        assert {other: process.pid for other, process in stack.processes.items() if other != name} == others
        assert NO_REPLY_TEXT not in visitor.texts(visitor.say(answers.pop(0)) if answers else visitor.say("/greet"))
    slots = visitor.slots()
    assert (slots["need"], slots["authority"], slots["budget"], slots["timeline"]) == (
        "defined",
        "decision_maker",
        "allocated",
        "immediate",
    )
    visitor.converse("Sam Super", f"{visitor.id}@supervised.io", "Supervised Inc", "/skip", "/affirm")
    [lead] = lead_rows(stack, conversation_id=visitor.id)
    assert (lead.stage, lead.person_name) == ("SQL", "Sam Super")
    alerts = [line for line in supervised.lines if line.startswith("ALERT")]
    assert [line.split()[1] for line in alerts] == names, supervised.lines
    assert supervised.supervisor.restarts == {name: 1 for name in names}
    print(f"\n{len(names)} processes killed and restarted: {', '.join(names)}")


def test_a_hung_action_server_costs_the_visitor_seconds_not_minutes(supervised: SupervisedStack) -> None:
    stack = supervised.stack
    visitor = Visitor(stack)
    visitor.converse("/request_demo", "/need_defined")
    actions = stack.processes["actions"]
    os.killpg(actions.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        replies = visitor.say("/authority_decision_maker")
        waited = time.monotonic() - started
        assert waited < ACTION_TIMEOUT * 3, waited  # one timeout per turn, not Rasa's 300 s
        assert waited >= ACTION_TIMEOUT * 0.9, waited  # it really waited for the action server
        assert NO_REPLY_TEXT in visitor.texts(replies)
        # "Your message has been saved": it is, in the tracker
        texts = [event.get("text") for event in visitor.tracker()["events"] if event["event"] == "user"]
        assert texts[-1] == "/authority_decision_maker"
        assert actions.poll() is None  # stopped, not dead: the supervisor leaves it alone
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    time.sleep(ACTION_TIMEOUT)  # the conversation's cool-down after the timeout
    replies = visitor.say("/authority_decision_maker")
    assert NO_REPLY_TEXT not in visitor.texts(replies)
    assert visitor.slots()["authority"] == "decision_maker"
    assert stack.processes["actions"].pid == actions.pid  # never restarted
    log = (Path(stack.log_dir) / "rasa.log").read_text(errors="replace")
    assert "ALERT the action server did not answer" in log and visitor.id in log
