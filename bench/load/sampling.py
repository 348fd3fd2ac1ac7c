"""The servers' processes, from /proc (no psutil needed): peak RSS and CPU seconds of named process trees,
the CPU the rest of the machine used meanwhile, and the shared PostgreSQL and Redis servers."""

from __future__ import annotations

import itertools
import os
import threading
from collections import defaultdict
from pathlib import Path

SAMPLE_INTERVAL = 0.2
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (field 3 onwards), or [] if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2 :].split()


def with_descendants(pid: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children[int(fields[1])].append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


def cpu_seconds(pid: int, reaped_children: bool = False) -> float:
    """User plus system CPU time of a process (fields 14 and 15 of /proc/<pid>/stat), and with
    `reaped_children` that of its children that exited and were waited for (fields 16 and 17)."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def command_name(pid: int) -> str:
    """The command name of /proc/<pid>/stat (comm), or "" if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return text[text.index("(") + 1 : text.rindex(")")]


def machine_cpu_seconds() -> dict[str, float]:
    """CPU seconds of all cores since boot (/proc/stat): processes (user, nice, system), interrupts, steal."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return {
        "processes": (user + nice + system) / CLOCK_TICKS,
        "interrupts": (irq + softirq) / CLOCK_TICKS,
        "steal": steal / CLOCK_TICKS,
    }


class Sampler:
    """Samples the RSS of named process trees every 0.2 s in a thread, and their CPU time at start and stop.

    With `reaped_children` a tree's CPU also counts the processes that exited in it meanwhile (PostgreSQL
    forks a backend per connection, and connection pools close their overflow connections under load); the
    trees are then looked up again at stop, so processes started since the last 5-second refresh count too.
    """

    def __init__(self, processes: dict[str, int], reaped_children: bool = False) -> None:
        self.processes = processes
        self.reaped_children = reaped_children
        self.peak_rss: dict[str, int] = dict.fromkeys(processes, 0)
        self._trees = {name: with_descendants(pid) for name, pid in processes.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cpu(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(pid, self.reaped_children) for pid in tree) for name, tree in self._trees.items()}

    def _run(self) -> None:
        for tick in itertools.count():
            if tick and tick % 25 == 0:  # every 5 s, in case a server started a child
                self._trees = {name: with_descendants(pid) for name, pid in self.processes.items()}
            for name, tree in self._trees.items():
                self.peak_rss[name] = max(self.peak_rss[name], sum(rss_bytes(pid) for pid in tree))
            if self._stop.wait(SAMPLE_INTERVAL):
                return

    def __enter__(self) -> Sampler:
        self._cpu_start, self._machine_start = self._cpu(), machine_cpu_seconds()
        self._self_start = cpu_seconds(os.getpid())
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        if self.reaped_children:
            self._trees = {name: with_descendants(pid) for name, pid in self.processes.items()}
        cpu_end = self._cpu()
        self.cpu = {name: cpu_end[name] - self._cpu_start[name] for name in cpu_end}
        self.load_generator_cpu = cpu_seconds(os.getpid()) - self._self_start
        machine = {key: value - self._machine_start[key] for key, value in machine_cpu_seconds().items()}
        self.other_cpu = max(0.0, machine["processes"] - sum(self.cpu.values()) - self.load_generator_cpu)
        self.interrupts_cpu, self.steal_cpu = machine["interrupts"], machine["steal"]


def shared_services() -> dict[str, int]:
    """PostgreSQL's postmaster and redis-server, found in /proc: shared by every stack, sampled server-wide."""
    found: dict[str, int] = {}
    for entry in sorted(Path("/proc").iterdir(), key=lambda path: path.name):
        if not entry.name.isdigit() or not (fields := _stat_fields(int(entry.name))):
            continue
        name = command_name(int(entry.name))
        if name == "postgres" and command_name(int(fields[1])) != "postgres":
            found.setdefault("postgres", int(entry.name))
        elif name.startswith("redis-server"):
            found.setdefault("redis", int(entry.name))
    return found
