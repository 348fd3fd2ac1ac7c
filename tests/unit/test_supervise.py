"""The supervisor of `make run` and the production mode (integrations/runtime/supervise.py, scripts/run.py).

A process that exits is restarted after a pause that doubles while it keeps failing, with an
ALERT line; Ctrl-C stops everything exactly once. Fake processes and a fake clock: no waiting.
The real stack, with each process killed in turn, is tests/e2e/test_supervision.py.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrations.runtime.run import serve_until_interrupted
from integrations.runtime.supervise import Backoff, Supervisor

_pids = itertools.count(1000)


@dataclass
class FakeProcess:
    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


class FakeStack:
    def __init__(self, *names: str) -> None:
        self.processes = {name: FakeProcess(next(_pids)) for name in names}
        self.restarted: list[str] = []
        self.stops = 0

    def restart(self, name: str) -> None:
        self.restarted.append(name)
        self.processes[name] = FakeProcess(next(_pids))

    def stop(self) -> None:
        self.stops += 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def supervisor(stack: FakeStack, clock: Clock, lines: list[str]) -> Supervisor:
    return Supervisor(lambda: stack.processes, stack.restart, Path("var/logs"), Backoff(), clock, lines.append)


def test_the_pause_doubles_up_to_a_minute() -> None:
    assert [Backoff().pause(failures) for failures in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_process_that_exits_is_restarted_after_its_pause_with_an_alert_the_others_untouched() -> None:
    stack, clock, lines = FakeStack("actions", "rasa", "web"), Clock(), []
    watcher = supervisor(stack, clock, lines)
    watcher.check()
    stack.processes["rasa"].returncode = 1
    clock.now = 10.0
    watcher.check()
    assert lines == ["ALERT rasa stopped (exit 1); restarting it in 1s (failure 1 in a row); see the logs in var/logs"]
    assert stack.restarted == []
    clock.now = 10.5
    watcher.check()
    assert stack.restarted == []  # still in its pause
    clock.now = 11.0
    old_web = stack.processes["web"]
    watcher.check()
    assert stack.restarted == ["rasa"] and stack.processes["web"] is old_web
    assert lines[-1] == f"restarted rasa (pid {stack.processes['rasa'].pid})"
    assert stack.stops == 0 and watcher.restarts == {"rasa": 1}


def test_a_process_that_keeps_failing_waits_longer_each_time_and_recovers_after_a_healthy_minute() -> None:
    stack, clock, lines = FakeStack("actions"), Clock(), []
    watcher = supervisor(stack, clock, lines)
    watcher.check()
    pauses = []
    for _ in range(4):  # dies right after each start
        stack.processes["actions"].returncode = -9
        watcher.check()
        pauses.append(lines[-1].split("restarting it in ")[1].split("s ")[0])
        clock.now += float(pauses[-1])
        watcher.check()
    assert pauses == ["1", "2", "4", "8"]
    clock.now += 61  # up for more than a minute: healthy again
    stack.processes["actions"].returncode = 1
    watcher.check()
    assert "restarting it in 1s (failure 1 in a row)" in lines[-1]


def test_a_failed_restart_is_retried_after_a_longer_pause() -> None:
    stack, clock, lines = FakeStack("nginx"), Clock(), []
    attempts = []

    def broken_restart(name: str) -> None:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise FileNotFoundError("/usr/sbin/nginx")
        stack.restart(name)

    watcher = Supervisor(lambda: stack.processes, broken_restart, Path("logs"), Backoff(), clock, lines.append)
    watcher.check()
    stack.processes["nginx"].returncode = 1
    watcher.check()
    clock.now = 1.0
    watcher.check()
    assert lines[-1] == "ALERT could not restart nginx: /usr/sbin/nginx"
    clock.now = 2.9
    watcher.check()
    assert len(attempts) == 1
    clock.now = 3.0
    watcher.check()
    assert attempts == [1.0, 3.0] and stack.restarted == ["nginx"]


def test_ctrl_c_stops_everything_exactly_once_even_when_pressed_again(capsys: pytest.CaptureFixture[str]) -> None:
    stack = FakeStack("actions", "rasa")
    stack.processes["rasa"].returncode = 1  # restarted while serving, not a reason to stop
    stops: list[int] = []

    def stop() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C while stopping is ignored
        stops.append(1)
        stack.stop()

    timer = threading.Timer(1.7, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        serve_until_interrupted(lambda: stack.processes, stop, Path("logs"), stack.restart, interval=0.05)
    finally:
        timer.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    assert stops == [1] and stack.stops == 1
    assert stack.restarted == ["rasa"]
    out = capsys.readouterr().out
    assert "ALERT rasa stopped (exit 1)" in out and out.count("stopped.") == 1
