"""Keep the stack's processes running: a process that exits is started again, after a growing pause.

Used by `make run` (scripts/run.py) and the production mode (integrations/runtime/production.py). One process
failing (Rasa exiting on an error, the action server killed by the OOM killer, ...) must not take
the whole assistant down, as stopping everything did before. Each exit prints an `ALERT` line
with the exit status and the pause before the restart: 1 s, then 2, 4, ... up to 60 s while
the process keeps failing; a process that stayed up for a minute starts again at 1 s.

The clock is injected (time.monotonic by default), so tests drive the pauses without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class Process(Protocol):
    """What the supervisor needs of a child process (subprocess.Popen has it)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...


@dataclass(frozen=True)
class Backoff:
    """Pauses before restarting a failing process: `first`, doubled at each new failure, at most `longest`."""

    first: float = 1.0
    factor: float = 2.0
    longest: float = 60.0
    healthy_after: float = 60.0  # a process that ran this long counts as recovered: its next pause is `first`

    def pause(self, failures: int) -> float:
        return min(self.longest, self.first * self.factor ** max(0, failures - 1))


@dataclass
class _Watch:
    started: float
    failures: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Restarts the processes that exit, each after its pause; `check()` is called in the caller's loop."""

    processes: Callable[[], Mapping[str, Process]]
    restart: Callable[[str], None]
    log_dir: Path
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    say: Callable[[str], None] = print
    restarts: dict[str, int] = field(default_factory=dict)
    _watches: dict[str, _Watch] = field(default_factory=dict)

    def check(self) -> None:
        now = self.clock()
        for name, process in list(self.processes().items()):
            watch = self._watches.setdefault(name, _Watch(started=now))
            if watch.restart_at is None:
                if process.poll() is None:
                    continue
                self._schedule(name, process, watch, now)
            if watch.restart_at is not None and now >= watch.restart_at:
                self._restart(name, watch, now)

    def _schedule(self, name: str, process: Process, watch: _Watch, now: float) -> None:
        if now - watch.started >= self.backoff.healthy_after:
            watch.failures = 0
        watch.failures += 1
        pause = self.backoff.pause(watch.failures)
        watch.restart_at = now + pause
        self.say(
            f"ALERT {name} stopped (exit {process.returncode}); restarting it in {pause:g}s "
            f"(failure {watch.failures} in a row); see the logs in {self.log_dir}"
        )

    def _restart(self, name: str, watch: _Watch, now: float) -> None:
        watch.restart_at = None
        watch.started = now
        try:
            self.restart(name)
        except Exception as error:  # e.g. the binary vanished: try again after a longer pause
            self.say(f"ALERT could not restart {name}: {error}")
            watch.failures += 1
            watch.restart_at = now + self.backoff.pause(watch.failures)
            return
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self.say(f"restarted {name} (pid {self.processes()[name].pid})")
