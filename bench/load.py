"""Load benchmark: whole conversations through the REST channel, the assistant against Rasa's starter bot,
and the assistant's production mode with one and with two instances behind nginx.

Usage: .venvs/rasa/bin/python -m bench.load [--concurrency 1,10,50,100] [--bots ours,starter]
           [--turns-per-visitor 24] [--min-turns 240] [--time-limit 300] [--our-train-seconds S]
       .venvs/rasa/bin/python -m bench.load --mode production [--instances 1,2] [--concurrency 10,50,100]
(Started with another interpreter, e.g. .venvs/actions/bin/python, it re-runs itself with Rasa's
environment, which has aiohttp, matplotlib and redis; the lead store is migrated with the action server's
environment, as `make migrate` does. Needs models/leadbot.tar.gz; never trains it.)

The default mode (--mode compare), in one run on this machine:
* starts the assistant's real stack (integrations/runtime/stack.py: Rasa with models/leadbot.tar.gz, action
  server, dispatcher) on free loopback ports, with temporary SQLite lead and tracker databases and a
  random RASA_TOKEN; Rasa calls the action server through bench/action_timing_proxy.py, which times
  every call; the REST channel's rate limits keep their defaults (30 messages a minute per sender,
  loopback exempt from the per-IP limit), and every conversation has its own sender;
* trains once (cached in var/bench/starter/) and starts plain Rasa's starter bot (bench/starter_bot.py);
* for each concurrency level N and each bot: N visitors play whole conversations back to back, with no
  think time, until the level's conversations are done or its time limit has passed. A level has
  enough conversations for N x --turns-per-visitor turns and at least --min-turns, so both bots get
  as many turns (ours: a typed 12-turn sales-qualified conversation with a side question and a unique
  email, twice per visitor by default; the starter: the 4-turn sad path of its stories, six times);
* measures per-turn latency p50/p95/p99 (and separately each visitor's first turn, which opens its
  connection: visitors start over --ramp-up seconds, and a saturated Rasa accepts new connections
  slowly), throughput (turns answered / wall time of the level), errors (HTTP status not 200, an
  empty reply, or the polite technical-problem or lead-not-saved answer),
  peak RSS and CPU seconds of each server process with its children (from /proc, every 0.2 s), the
  CPU that other processes on the machine used meanwhile, and the action server's time per call;
* writes bench/results/load.json and bench/results/load_latency.png and prints a markdown table.

--mode production (docs/production.md), for each --instances count, all stacks up for the whole run:
* starts integrations/runtime/production.py's ProductionStack on free ports: nginx (round robin, keepalive to the
  upstreams) in front of that many Rasa servers, action servers and dispatchers, with throw-away
  PostgreSQL databases for the tracker and lead stores (CREATE DATABASE on TEST_POSTGRES_URL, default
  postgresql+psycopg2://postgres@127.0.0.1:5432/postgres; dropped WITH (FORCE) afterwards), the atomic
  Redis lock store under a unique key prefix (its keys deleted afterwards), and random tokens; the lead
  store is migrated by the actions interpreter (Alembic is not in Rasa's environment);
* drives our conversation through nginx's public port (POST /webhooks/rest/webhook), level by level,
  each stack in turn, with the same figures as above; CPU per process (nginx, each Rasa, action server
  and dispatcher, and the PostgreSQL and Redis servers as a whole, counting exited PostgreSQL backends),
  and from nginx's access log the messages each Rasa server took and the action calls' request time;
* writes bench/results/load_production.json (with the scaling ratios at 50 and 100 visitors: throughput
  and p95 of the larger instance count over the smaller) and load_production.png, and prints tables.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"
if importlib.util.find_spec("aiohttp") is None and RASA_PYTHON.exists():
    print(f"re-running with {RASA_PYTHON.relative_to(ROOT)} (it has aiohttp and matplotlib)", file=sys.stderr)
    os.execv(RASA_PYTHON, [str(RASA_PYTHON), "-m", "bench.load", *sys.argv[1:]])

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from contextlib import AbstractContextManager, ExitStack  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import aiohttp  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402
import sqlalchemy  # noqa: E402
import yaml  # noqa: E402

from bench import starter_bot  # noqa: E402
from bench.conversations import letters, typed_hot_lead  # noqa: E402
from bench.plot_load import plot, plot_production  # noqa: E402
from bench.postgres import POSTGRES_ADMIN_URL, throwaway_database  # noqa: E402
from integrations.rasa.guards import NO_REPLY_TEXT  # noqa: E402
from integrations.runtime.production import NGINX, ProductionConfig, ProductionStack  # noqa: E402
from integrations.runtime.stack import ACTIONS_PYTHON, MODEL, Stack, StackConfig, wait_until_ok  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / "var" / "bench" / "load-logs"
REQUEST_TIMEOUT = 120.0
SAMPLE_INTERVAL = 0.2
PROXY_CALIBRATION_CALLS = 200
RUN_ID = secrets.token_hex(3)
LEAD_NOT_SAVED_TEXT = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())["responses"]["utter_lead_saved_error"][
    0
]["text"]
ERROR_TEXTS = {NO_REPLY_TEXT: "technical_problem", LEAD_NOT_SAVED_TEXT: "lead_not_saved"}
OUR_FINAL_REPLY = "from our sales team will contact you within"
# Logged by bot/actions/clauses.py when the action server's own /model/parse call to Rasa fails or times out.
CLAUSE_PARSE_FAILED = "clause parse failed"
# The dispatchers read .env: with these blank, benchmark leads reach only the run's own outbox log, never a real
# Slack, webhook, HubSpot or Salesforce account (integrations/outbox/registry.py enables a channel when set).
QUIET_CHANNELS = dict.fromkeys(
    ("SLACK_WEBHOOK_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "HUBSPOT_TOKEN", "SALESFORCE_OID"), ""
)


def our_conversation(index: int) -> list[str]:
    """A hot lead typing freely, with a side question mid-form (bench/conversations.py)."""
    name = letters(index)
    return typed_hot_lead(f"Maria {name}", f"maria.{name.lower()}.{RUN_ID}@globex-bench.com", "Globex Inc.")


def starter_conversation(index: int) -> list[str]:
    return list(starter_bot.CONVERSATION)


# ---------------------------------------------------------------- processes, from /proc (no psutil needed)

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


# ---------------------------------------------------------------- the two bots


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProxiedStack(Stack):
    """The project's stack (web page off) with Rasa calling the action server through the timing proxy."""

    def __init__(self, config: StackConfig, proxy_port: int, log_dir: Path) -> None:
        self.proxy_port = proxy_port
        # write_endpoints() gives Rasa this action endpoint; the proxy forwards to config.actions_url.
        super().__init__(replace(config, action_endpoint_url=f"{self.proxy_url}/webhook"), log_dir=log_dir, web=False)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def start_rasa(self) -> None:
        proxy = ROOT / "bench" / "action_timing_proxy.py"
        self._spawn("proxy", [str(RASA_PYTHON), str(proxy), "--port", str(self.proxy_port), "--target",
                              self.config.actions_url])  # fmt: skip
        super().start_rasa()

    def wait_ready(self, timeout: float) -> None:
        super().wait_ready(timeout)
        wait_until_ok(f"{self.proxy_url}/health", 60.0)


def isolated_config(state: Path) -> StackConfig:
    """Like tests/support/stacks.py: databases, outbox and endpoints in `state`, free ports, random token."""
    return StackConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        rasa_token=secrets.token_urlsafe(16),
        database_url=f"sqlite:///{state / 'leads.db'}",
        tracker_db=state / "tracker.db",
        outbox_log=state / "outbox.log",
        state_dir=state,
        extra_env=dict(QUIET_CHANNELS),
    )


def migrate(database_url: str) -> None:
    """integrations.store.migrate.upgrade, run in the action server's environment (SQLAlchemy 2, Alembic)."""
    subprocess.run(
        [str(ACTIONS_PYTHON), "-m", "integrations.store.migrate", database_url],
        cwd=ROOT, env=Stack.base_env(), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


@dataclass
class Bot:
    """A bot under test: where to send messages, what to say, and its server processes."""

    name: str
    url: str
    conversation: Callable[[int], list[str]]
    final_reply: str
    processes: dict[str, int]
    proxy_url: str | None = None
    actions_logs: tuple[Path, ...] = ()
    access_log: Path | None = None  # nginx's, in the production mode
    upstream_names: dict[str, str] = field(default_factory=dict)  # nginx upstream address -> server name
    numbers: Iterator[int] = field(default_factory=itertools.count)


# ---------------------------------------------------------------- driving conversations


@dataclass
class Turn:
    latency_ms: float
    error: str | None


async def send(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[Turn, list[str]]:
    """One visitor message through the REST channel: its latency, error kind if any, and the bot's texts."""
    started = time.perf_counter()
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as answer:
            status, body = answer.status, await answer.read()
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return Turn((time.perf_counter() - started) * 1000, type(error).__name__), []
    latency_ms = (time.perf_counter() - started) * 1000
    if status != 200:
        return Turn(latency_ms, f"http_{status}"), []
    try:
        messages = json.loads(body)
    except ValueError:
        return Turn(latency_ms, "invalid_json"), []
    if not isinstance(messages, list) or not messages:
        return Turn(latency_ms, "empty_reply"), []
    texts = [message.get("text") or "" for message in messages if isinstance(message, dict)]
    error = next((ERROR_TEXTS[text] for text in texts if text in ERROR_TEXTS), None)
    return Turn(latency_ms, error), texts


@dataclass
class LevelRecord:
    turns: list[Turn] = field(default_factory=list)
    first_turns: list[Turn] = field(default_factory=list)  # each visitor's first: it opens a new connection
    conversations_done: int = 0
    as_expected: int = 0
    unexpected: list[list[tuple[str, list[str]]]] = field(default_factory=list)  # a few transcripts


async def visitor(
    session: aiohttp.ClientSession, bot: Bot, numbers: Iterator[int], delay: float, deadline: float, record: LevelRecord
) -> None:
    """One concurrent visitor: plays conversations from the shared `numbers` until they run out or time is up."""
    await asyncio.sleep(delay)
    first = True
    for number in numbers:
        sender = f"load-{bot.name}-{RUN_ID}-{number}"
        transcript: list[tuple[str, list[str]]] = []
        for message in bot.conversation(number):
            if time.monotonic() >= deadline:
                return
            turn, texts = await send(session, bot.url, sender, message)
            record.turns.append(turn)
            if first:
                record.first_turns.append(turn)
                first = False
            transcript.append((message, texts))
        record.conversations_done += 1
        if any(bot.final_reply in text for text in transcript[-1][1]):
            record.as_expected += 1
        elif len(record.unexpected) < 3:
            record.unexpected.append(transcript)


async def drive(bot: Bot, concurrency: int, conversations: int, time_limit: float, ramp_up: float) -> LevelRecord:
    """`concurrency` visitors sharing `conversations` conversations; starts spread over `ramp_up` seconds."""
    record = LevelRecord()
    numbers = itertools.islice(bot.numbers, conversations)
    deadline = time.monotonic() + time_limit
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        await asyncio.gather(
            *(
                visitor(session, bot, numbers, ramp_up * index / concurrency, deadline, record)
                for index in range(concurrency)
            )
        )
    return record


# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)], 1)


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": percentile(values, 100),
    }


def drain_timings(bot: Bot) -> list[dict]:
    if not bot.proxy_url:
        return []
    return requests.get(f"{bot.proxy_url}/__timings__", timeout=30).json()


def action_summary(calls: list[dict], turns: int) -> dict:
    """The action server's time per call (measured by the proxy), overall and per action."""
    calls = [call for call in calls if call["action"]]
    by_action: dict[str, list[dict]] = defaultdict(list)
    for call in calls:
        by_action[call["action"]].append(call)
    return {
        "calls": len(calls),
        "calls_per_turn": round(len(calls) / turns, 2) if turns else None,
        "upstream_ms": latency_summary([call["upstream_ms"] for call in calls]),
        "proxy_overhead_ms": latency_summary([call["overhead_ms"] for call in calls]),
        "non_200": sum(call["status"] != 200 for call in calls),
        "by_action": {
            name: {
                "calls": len(items),
                "p50_ms": percentile([item["upstream_ms"] for item in items], 50),
                "p95_ms": percentile([item["upstream_ms"] for item in items], 95),
                "mean_request_kb": round(sum(item["request_bytes"] for item in items) / len(items) / 1024, 1),
            }
            for name, items in sorted(by_action.items())
        },
    }


def run_level(bot: Bot, all_processes: dict[str, int], concurrency: int, args: argparse.Namespace) -> dict:
    """One bot at one concurrency level, with its processes sampled; the level's figures.

    Processes named `shared:...` (PostgreSQL, Redis) count as every bot's own."""
    per_conversation = len(bot.conversation(0))
    conversations = math.ceil(max(concurrency * args.turns_per_visitor, args.min_turns) / per_conversation)
    drain_timings(bot)
    log_starts = [path.stat().st_size for path in bot.actions_logs]
    access_start = bot.access_log.stat().st_size if bot.access_log else 0
    with Sampler(all_processes, reaped_children=args.mode == "production") as sampler:
        started = time.monotonic()
        record = asyncio.run(drive(bot, concurrency, conversations, args.time_limit, args.ramp_up))
        wall = time.monotonic() - started
    errors: dict[str, int] = defaultdict(int)
    for turn in record.turns:
        if turn.error:
            errors[turn.error] += 1
    answered = sum(turn.error is None for turn in record.turns)
    own = {f"{bot.name}:{name}" for name in bot.processes} | {key for key in all_processes if key.startswith("shared:")}
    return {
        "bot": bot.name,
        "concurrency": concurrency,
        "conversations_planned": conversations,
        "conversations_done": record.conversations_done,
        "conversations_as_expected": record.as_expected,
        "unexpected_transcripts": record.unexpected,
        "stopped_by_time_limit": record.conversations_done < conversations,
        "turns": len(record.turns),
        "turns_ok": answered,
        "errors": dict(errors),
        "error_rate": round(sum(errors.values()) / len(record.turns), 4) if record.turns else None,
        "latency_ms": latency_summary([turn.latency_ms for turn in record.turns]),
        "first_turn_latency_ms": latency_summary([turn.latency_ms for turn in record.first_turns]),
        "wall_s": round(wall, 2),
        "throughput_tps": round(answered / wall, 2),
        "peak_rss_mb": {
            key.split(":", 1)[1]: round(sampler.peak_rss[key] / 2**20) for key in all_processes if key in own
        },
        "cpu_s": {key.split(":", 1)[1]: round(sampler.cpu[key], 1) for key in all_processes if key in own},
        "cpu_s_other_bench_processes": round(sum(sampler.cpu[key] for key in all_processes if key not in own), 1),
        "cpu_s_load_generator": round(sampler.load_generator_cpu, 1),
        "cpu_ms_per_turn": {
            key.split(":", 1)[1]: round(1000 * sampler.cpu[key] / len(record.turns), 1)
            for key in all_processes
            if key in own and record.turns
        },
        "other_processes_cpu_pct": share_of_machine(sampler.other_cpu, wall),
        "interrupts_cpu_pct": share_of_machine(sampler.interrupts_cpu, wall),
        "steal_cpu_pct": share_of_machine(sampler.steal_cpu, wall),
        "action_server": action_summary(drain_timings(bot), len(record.turns)) if bot.proxy_url else None,
        "clause_parse_failures": sum(
            log_count(path, start, CLAUSE_PARSE_FAILED)
            for path, start in zip(bot.actions_logs, log_starts, strict=True)
        )
        if bot.actions_logs
        else None,
        **({"nginx": access_summary(bot, access_start)} if bot.access_log else {}),
    }


def log_count(path: Path, start: int, marker: str) -> int:
    """Lines containing `marker` written to a log after byte `start`."""
    with open(path, "rb") as log:
        log.seek(start)
        return log.read().decode(errors="replace").count(marker)


def share_of_machine(cpu_seconds: float, wall: float) -> float:
    """CPU seconds as a percentage of all cores over `wall` seconds."""
    return round(100 * cpu_seconds / (wall * (os.cpu_count() or 1)), 1)


def proxy_overhead(stack: ProxiedStack) -> dict:
    """Added latency of one call through the proxy: GET /health direct and through it, sequentially."""
    session = requests.Session()

    def timed(url: str) -> list[float]:
        timings = []
        for _ in range(PROXY_CALIBRATION_CALLS):
            started = time.perf_counter()
            session.get(url, timeout=10).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    direct = timed(f"{stack.config.actions_url}/health")
    proxied = timed(f"{stack.proxy_url}/health")
    requests.get(f"{stack.proxy_url}/__timings__", timeout=10)  # drop the calibration records
    return {
        "calls": PROXY_CALIBRATION_CALLS,
        "direct_ms": latency_summary(direct),
        "through_proxy_ms": latency_summary(proxied),
        "added_p50_ms": round(percentile(proxied, 50) - percentile(direct, 50), 2),
        "what": "sequential GET /health of the action server, direct and through the proxy, before the levels",
    }


def warm_up(bot: Bot, conversations: int = 1) -> None:
    """Conversations before measuring (first turns after a model load are slow); complain if one goes wrong."""
    record = asyncio.run(drive(bot, 1, conversations, 120.0 * conversations, 0.0))
    errors = [turn.error for turn in record.turns if turn.error]
    if errors or record.as_expected < conversations:
        print(f"warning: the {bot.name} warm-up conversation went wrong: errors {errors}, "
              f"transcript {record.unexpected}", file=sys.stderr)  # fmt: skip
    drain_timings(bot)


# -------------------------------------------------- the production mode (integrations/runtime/production.py)

# Requests in nginx's access log (deploy/nginx.conf.template's `upstream` format), by path.
ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) upstream=(?P<upstream>.*?) '
    r"upstream_status=\S.*? time=(?P<seconds>[\d.]+)$"
)
ACCESS_KINDS = {"/webhooks/rest/webhook": "rest", "/webhook": "actions", "/model/parse": "parse"}


class BenchProductionStack(ProductionStack):
    """integrations/runtime/production.py's stack, prepared from Rasa's environment.

    ProductionStack.prepare() creates the databases and migrates the lead store in-process, with Alembic
    and SQLAlchemy 2 from the actions environment; here the benchmark has created throw-away databases
    already, and the lead store is migrated by the actions interpreter, as `make migrate` does.
    """

    def prepare(self) -> None:
        if not NGINX.exists():
            raise RuntimeError("nginx is missing: run scripts/ensure_nginx.sh")
        migrate(self.config.database_url)

    def keep_nginx_error_log(self) -> None:
        """The error log lives in the temporary state folder: copy it next to the other logs."""
        error_log = self.config.state_dir / "nginx" / "error.log"
        if error_log.exists():
            self.log_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(error_log, self.log_dir / "nginx-error.log")


def bench_database(kind: str) -> AbstractContextManager[str]:
    """A throw-away PostgreSQL database for one run (bench/postgres.py), dropped afterwards."""
    return throwaway_database(f"leadbot_bench_{kind}_{RUN_ID}")


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all held open at once while they are picked)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def production_config(instances: int, state: Path, leads_url: str, tracker_url: str) -> ProductionConfig:
    """`instances` Rasa and action servers behind nginx on free ports, random tokens, a unique lock key prefix."""
    public, internal, actions_lb, web, *nodes = free_ports(4 + 2 * instances)
    return ProductionConfig(
        public_port=public,
        rasa_ports=tuple(nodes[:instances]),
        actions_ports=tuple(nodes[instances:]),
        rasa_internal_port=internal,
        actions_lb_port=actions_lb,
        web_port=web,
        database_url=leads_url,
        tracker_database_url=tracker_url,
        redis_key_prefix=f"bench{RUN_ID}x{instances}",  # Rasa accepts only letters and digits here
        rasa_token=secrets.token_urlsafe(16),
        action_token=secrets.token_urlsafe(16),
        state_dir=state,
        extra_env=dict(QUIET_CHANNELS),
    )


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


def service_versions(redis_url: str) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    nginx = subprocess.run([str(NGINX), "-v"], capture_output=True, text=True)
    versions["nginx"] = (nginx.stderr or nginx.stdout).strip().removeprefix("nginx version: ")
    engine = sqlalchemy.create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as connection:
            versions["postgres"] = connection.execute(sqlalchemy.text("SHOW server_version")).scalar()
    finally:
        engine.dispose()
    client = redis.Redis.from_url(redis_url)
    try:
        versions["redis"] = client.info("server").get("redis_version")
    finally:
        client.close()
    return versions


def drop_lock_keys(config: ProductionConfig) -> int:
    """Delete the run's Redis keys (Rasa's lock store deletes idle locks itself: normally none are left)."""
    client = redis.Redis.from_url(config.redis_url)
    try:
        keys = list(itertools.islice(client.scan_iter(match=f"{config.redis_key_prefix}:*", count=1000), 100_000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def start_production(instances: int, state: Path, leads_url: str, tracker_url: str) -> tuple[BenchProductionStack, Bot]:
    config = production_config(instances, state, leads_url, tracker_url)
    stack = BenchProductionStack(config, log_dir=LOGS / f"production-{instances}x")
    try:
        stack.start()
    except BaseException:
        stack.stop()
        stack.keep_nginx_error_log()
        raise
    upstreams = {f"127.0.0.1:{port}": f"rasa{number}" for number, port in enumerate(config.rasa_ports, start=1)}
    upstreams |= {f"127.0.0.1:{port}": f"actions{number}" for number, port in enumerate(config.actions_ports, start=1)}
    bot = Bot(
        f"production-{instances}x",
        f"http://127.0.0.1:{config.public_port}",  # nginx's public listener (not `localhost`: IPv4 only)
        our_conversation,
        OUR_FINAL_REPLY,
        {name: process.pid for name, process in stack.processes.items()},
        actions_logs=tuple(node.log_dir / "actions.log" for node in stack.nodes),
        access_log=config.state_dir / "nginx" / "access.log",
        upstream_names=upstreams,
    )
    return stack, bot


def access_summary(bot: Bot, start: int) -> dict:
    """nginx's view of a level, from its access log after byte `start`: REST messages, action calls and the
    action servers' parse calls to Rasa; for each, requests per upstream server, statuses and request time."""
    with open(bot.access_log, "rb") as log:
        log.seek(start)
        lines = log.read().decode(errors="replace").splitlines()
    kinds: dict[str, dict] = defaultdict(lambda: {"requests": 0, "by_server": defaultdict(int), "non_200": 0,
                                                  "passed_on": 0, "seconds": []})  # fmt: skip
    for line in lines:
        match = ACCESS_LINE.search(line)
        if not match:
            continue
        kind = kinds[ACCESS_KINDS.get(match["path"].split("?")[0], "other")]
        kind["requests"] += 1
        upstreams = [address.strip() for address in match["upstream"].split(",")]
        kind["by_server"][bot.upstream_names.get(upstreams[-1], upstreams[-1])] += 1
        kind["non_200"] += match["status"] != "200"
        kind["passed_on"] += len(upstreams) > 1  # proxy_next_upstream tried another server
        kind["seconds"].append(float(match["seconds"]))
    return {
        name: {
            "requests": kind["requests"],
            "by_server": dict(sorted(kind["by_server"].items())),
            "non_200": kind["non_200"],
            "passed_on": kind["passed_on"],
            "request_time_ms": latency_summary([1000 * seconds for seconds in kind["seconds"]]),
        }
        for name, kind in sorted(kinds.items())
    }


def roles(level: dict) -> dict:
    """CPU ms per turn by role, summed over the servers of a role (node1/rasa + node2/rasa = rasa)."""
    by_role: dict[str, float] = defaultdict(float)
    for name, seconds in level["cpu_s"].items():
        by_role[name.rsplit("/", 1)[-1]] += seconds
    turns = level["turns"] or 1
    return {role: round(1000 * seconds / turns, 1) for role, seconds in by_role.items()}


def run_production(args: argparse.Namespace, results: dict) -> None:
    """Every instance count's stack up at once; per level, each of them in turn (as the default mode's bots)."""
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}; run `make train` first")
    if not NGINX.exists():
        sys.exit("nginx is missing: run scripts/ensure_nginx.sh")
    services = shared_services()
    missing = {"postgres", "redis"} - set(services)
    if missing:
        print(f"warning: no {' or '.join(sorted(missing))} process found; not sampled", file=sys.stderr)
    results["services"] = service_versions(ProductionConfig().redis_url)
    results["stacks"], results["levels"] = {}, []
    bots: dict[int, Bot] = {}
    with ExitStack() as cleanup:
        for instances in args.instance_counts:
            print(f"starting the production stack with {instances} instance(s) ...", flush=True)
            state = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix=f"leadbot-load-x{instances}-")))
            leads_url = cleanup.enter_context(bench_database(f"leads{instances}"))
            tracker_url = cleanup.enter_context(bench_database(f"tracker{instances}"))
            started = time.monotonic()
            stack, bots[instances] = start_production(instances, state, leads_url, tracker_url)
            cleanup.callback(finish_production, stack, results["stacks"], str(instances))
            results["stacks"][str(instances)] = {
                "start_s": round(time.monotonic() - started, 1),
                "redis_key_prefix": stack.config.redis_key_prefix,
                **stack_description(stack),
            }
        for bot in bots.values():
            warm_up(bot, conversations=4)
        all_processes = {f"{bot.name}:{name}": pid for bot in bots.values() for name, pid in bot.processes.items()}
        all_processes |= {f"shared:{name}": pid for name, pid in services.items()}
        for concurrency in args.levels:
            for instances, bot in bots.items():
                print(f"level {concurrency} visitors, {instances} instance(s) ...", flush=True)
                level = {"instances": instances, **run_level(bot, all_processes, concurrency, args)}
                level["cpu_ms_per_turn_by_role"] = roles(level)
                level["stack_cpu_pct_of_machine"] = share_of_machine(sum(level["cpu_s"].values()), level["wall_s"])
                results["levels"].append(level)
                print(f"  {level['turns']} turns, p95 {level['latency_ms']['p95']} ms, "
                      f"{level['throughput_tps']} turns/s, errors {level['errors']}, "
                      f"other processes {level['other_processes_cpu_pct']} %", flush=True)  # fmt: skip
                time.sleep(2)


def finish_production(stack: BenchProductionStack, stacks: dict, key: str) -> None:
    stack.stop()
    stack.keep_nginx_error_log()
    stacks.setdefault(key, {})["lock_keys_left"] = drop_lock_keys(stack.config)


# ---------------------------------------------------------------- training times and machine


def our_training(option: float | None) -> dict:
    """Our model's training time: --our-train-seconds, else from var/train.log (written by `make train`)."""
    if option is not None:
        return {"seconds": option, "source": "--our-train-seconds"}
    log = ROOT / "var" / "train.log"
    text = log.read_text() if log.exists() else ""
    stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", text, re.M)
    if len(stamps) < 2:
        return {"seconds": None, "source": "unknown: no --our-train-seconds and no timestamps in var/train.log"}
    first, last = (datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").timestamp() for stamp in (stamps[0], stamps[-1]))
    modified = log.stat().st_mtime
    born = _birth_time(log)
    if born and 0 <= first - born <= 30:  # the file was created for this training: the whole command
        seconds, source = modified - born, "var/train.log, created to last written (the whole `rasa train`)"
    else:
        seconds, source = last - first, "var/train.log, first to last log line (without Rasa's start-up)"
    return {
        "seconds": round(seconds, 1),
        "source": source + ("; Rasa's cache restored some components" if "Restored component" in text else ""),
        "trained_at": datetime.fromtimestamp(modified, timezone.utc).isoformat(timespec="seconds"),
    }


def _birth_time(path: Path) -> float | None:
    """When a file was created (GNU stat %W; Python 3.10 has no st_birthtime on Linux), or None."""
    try:
        born = float(subprocess.run(["stat", "--format=%W", str(path)], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        return None
    return born or None


def stack_description(stack: Stack | ProductionStack) -> dict:
    """What exactly ran as ours: the model file and each process's command line (token left out)."""
    digest = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    commands = {
        name: shlex.join(
            "--auth-token=***" if str(arg).startswith("--auth-token=") else str(arg) for arg in process.args
        )
        for name, process in stack.processes.items()
    }
    modified = datetime.fromtimestamp(MODEL.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
    return {"model": {"sha256": digest[:16], "modified": modified}, "commands": commands}


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory.group(1)) / 2**20, 1) if memory else None,
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "rasa": starter_bot.rasa_version(),
    }


# ---------------------------------------------------------------- report


def ratio(ours: float | None, starter: float | None) -> float | None:
    return round(ours / starter, 2) if ours is not None and starter else None


def find(levels: list[dict], bot: str, concurrency: int) -> dict | None:
    return next((level for level in levels if level["bot"] == bot and level["concurrency"] == concurrency), None)


def summary(levels: list[dict]) -> dict:
    ours50, starter50 = find(levels, "ours", 50), find(levels, "starter", 50)
    at100 = {bot: find(levels, bot, 100) for bot in ("ours", "starter")}
    return {
        "p95_ratio_ours_over_starter_at_50": ratio(
            ours50 and ours50["latency_ms"]["p95"], starter50 and starter50["latency_ms"]["p95"]
        ),
        "throughput_ratio_ours_over_starter_at_50": ratio(
            ours50 and ours50["throughput_tps"], starter50 and starter50["throughput_tps"]
        ),
        "errors_at_100": {bot: level and level["errors"] for bot, level in at100.items()},
    }


def markdown(results: dict) -> str:
    rows = [
        "| visitors | bot | turns | errors | p50 ms | p95 ms | p99 ms | turns/s | Rasa CPU ms/turn | peak RSS MB "
        "| other CPU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level in results["levels"]:
        latency = level["latency_ms"]
        rss = ", ".join(f"{name} {mb}" for name, mb in level["peak_rss_mb"].items())
        rows.append(
            f"| {level['concurrency']} | {level['bot']} | {level['turns']} | {sum(level['errors'].values())} | "
            f"{latency['p50']} | {latency['p95']} | {latency['p99']} | {level['throughput_tps']} | "
            f"{level['cpu_ms_per_turn'].get('rasa')} | {rss} | "
            f"{level['other_processes_cpu_pct']} % |"
        )
    actions = [level for level in results["levels"] if level["action_server"]]
    if actions:
        rows += ["", "| visitors | action calls | calls/turn | action server p50 ms | p95 ms | p99 ms |",
                 "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for level in actions:
            server = level["action_server"]
            rows.append(
                f"| {level['concurrency']} | {server['calls']} | {server['calls_per_turn']} | "
                f"{server['upstream_ms']['p50']} | {server['upstream_ms']['p95']} | {server['upstream_ms']['p99']} |"
            )
    overall = results["summary"]
    training = results["training"]
    rows += [
        "",
        f"p95 ours/starter at 50 visitors: {overall['p95_ratio_ours_over_starter_at_50']}; "
        f"throughput ours/starter at 50: {overall['throughput_ratio_ours_over_starter_at_50']}; "
        f"errors at 100: {overall['errors_at_100']}",
        f"training: ours {training['ours']['seconds']} s ({training['ours']['source']}); "
        f"starter {training.get('starter', {}).get('seconds')} s",
    ]
    first = "; ".join(
        f"{level['bot']} at {level['concurrency']}: {level['first_turn_latency_ms']['p95']} ms"
        for level in results["levels"]
        if level["concurrency"] >= 50
    )
    if first:
        rows.append(f"each visitor's first turn (opens its connection), p95: {first}")
    if results.get("proxy_overhead"):
        rows.append(f"timing proxy adds about {results['proxy_overhead']['added_p50_ms']} ms per action call (p50)")
    return "\n".join(rows)


def production_summary(levels: list[dict], instance_counts: list[int]) -> dict:
    """Each larger instance count against the smallest: throughput and p95 ratios at 50 and 100 visitors."""
    base = min(instance_counts)
    at = {(level["instances"], level["concurrency"]): level for level in levels}
    scaling = []
    for concurrency in (50, 100):
        one = at.get((base, concurrency))
        for instances in sorted(set(instance_counts) - {base}):
            more = at.get((instances, concurrency))
            if one and more:
                scaling.append(
                    {
                        "visitors": concurrency,
                        "instances": f"{instances} over {base}",
                        "throughput_ratio": ratio(more["throughput_tps"], one["throughput_tps"]),
                        "p95_ratio": ratio(more["latency_ms"]["p95"], one["latency_ms"]["p95"]),
                        "p50_ratio": ratio(more["latency_ms"]["p50"], one["latency_ms"]["p50"]),
                    }
                )
    return {
        "scaling": scaling,
        "errors": {f"{level['instances']}x{level['concurrency']}": level["errors"] for level in levels},
        "max_other_processes_cpu_pct": max((level["other_processes_cpu_pct"] for level in levels), default=None),
    }


def markdown_production(results: dict) -> str:
    rows = [
        "| instances | visitors | turns | errors | p50 ms | p95 ms | p99 ms | turns/s | CPU ms/turn rasa / actions / "
        f"nginx / postgres / redis | stack CPU % of {results['machine']['cores']} cores | peak RSS MB per Rasa "
        "| other CPU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level in results["levels"]:
        latency, roles_ms = level["latency_ms"], level["cpu_ms_per_turn_by_role"]
        rss = ", ".join(str(mb) for name, mb in level["peak_rss_mb"].items() if name.endswith("/rasa"))
        cpu = " / ".join(str(roles_ms.get(role, "-")) for role in ("rasa", "actions", "nginx", "postgres", "redis"))
        rows.append(
            f"| {level['instances']} | {level['concurrency']} | {level['turns']} | {sum(level['errors'].values())} | "
            f"{latency['p50']} | {latency['p95']} | {latency['p99']} | {level['throughput_tps']} | {cpu} | "
            f"{level['stack_cpu_pct_of_machine']} | {rss} | {level['other_processes_cpu_pct']} % |"
        )
    rows += [
        "",
        "| instances | visitors | CPU s per process | REST messages per Rasa server "
        "| action calls via nginx p50 / p95 ms | first turn p95 ms | as expected |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level in results["levels"]:
        nginx = level.get("nginx") or {}
        rest, actions = nginx.get("rest", {}), nginx.get("actions", {})
        cpu = ", ".join(f"{name} {seconds}" for name, seconds in level["cpu_s"].items() if seconds)
        spread = ", ".join(f"{name} {count}" for name, count in rest.get("by_server", {}).items())
        action_ms = actions.get("request_time_ms", {})
        rows.append(
            f"| {level['instances']} | {level['concurrency']} | {cpu} | {spread} | "
            f"{action_ms.get('p50')} / {action_ms.get('p95')} | {level['first_turn_latency_ms']['p95']} | "
            f"{level['conversations_as_expected']}/{level['conversations_done']} |"
        )
    rows.append("")
    for item in results["summary"]["scaling"]:
        rows.append(
            f"{item['visitors']} visitors, {item['instances']} instance(s): throughput x{item['throughput_ratio']}, "
            f"p95 x{item['p95_ratio']}, p50 x{item['p50_ratio']}"
        )
    starts = "; ".join(
        f"{key} instance(s) {stack['start_s']} s, lock keys left {stack.get('lock_keys_left')}"
        for key, stack in results["stacks"].items()
    )
    rows.append(f"start-up: {starts}")
    return "\n".join(rows)


# ---------------------------------------------------------------- main

DEFAULTS = {
    "compare": {"concurrency": "1,10,50,100", "output": RESULTS / "load.json"},
    "production": {"concurrency": "10,50,100", "output": RESULTS / "load_production.json"},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=sorted(DEFAULTS), default="compare",
                        help="compare: ours against the starter; production: nginx + N instances")  # fmt: skip
    parser.add_argument("--concurrency", help="visitors at once, per level (default 1,10,50,100; production 10,50,100)")
    parser.add_argument("--bots", default="ours,starter", help="compare mode")
    parser.add_argument("--instances", default="1,2", help="production mode: Rasa and action servers behind nginx")
    parser.add_argument("--turns-per-visitor", type=int, default=24, help="level size: visitors x this many turns")
    parser.add_argument("--min-turns", type=int, default=240, help="more conversations per level to reach this")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per level and bot")
    parser.add_argument("--ramp-up", type=float, default=2.0, help="seconds over which visitors start")
    parser.add_argument("--our-train-seconds", type=float, help="default: read from var/train.log")
    parser.add_argument("--output", type=Path, help="default bench/results/load.json; production load_production.json")
    args = parser.parse_args()
    defaults = DEFAULTS[args.mode]
    args.output = args.output or defaults["output"]
    args.levels = [int(value) for value in (args.concurrency or defaults["concurrency"]).split(",")]
    args.instance_counts = sorted({int(value) for value in args.instances.split(",")})
    if any(count < 1 for count in args.instance_counts) or any(level < 1 for level in args.levels):
        parser.error("instances and concurrency levels must be at least 1")
    args.bot_names = [name.strip() for name in args.bots.split(",")]
    unknown = set(args.bot_names) - {"ours", "starter"}
    if unknown:
        parser.error(f"unknown bots: {', '.join(sorted(unknown))}")
    return args


def start_ours(state: Path) -> tuple[ProxiedStack, Bot]:
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}; run `make train` first")
    config = isolated_config(state)
    migrate(config.database_url)
    stack = ProxiedStack(config, free_port(), LOGS / "ours")
    stack.start()
    processes = {name: stack.processes[name].pid for name in ("rasa", "actions", "dispatcher", "proxy")}
    bot = Bot(
        "ours",
        config.rasa_url,
        our_conversation,
        OUR_FINAL_REPLY,
        processes,
        stack.proxy_url,
        (stack.log_dir / "actions.log",),
    )
    return stack, bot


def run_compare(args: argparse.Namespace, results: dict) -> None:
    """Our single stack (timing proxy in front of the action server) and the starter bot, level by level."""
    results["training"] = {"ours": our_training(args.our_train_seconds)}
    bots: list[Bot] = []
    stack: ProxiedStack | None = None
    starter_server: starter_bot.StarterServer | None = None
    with tempfile.TemporaryDirectory(prefix="leadbot-load-") as folder:
        try:
            if "starter" in args.bot_names:
                print("starter bot: training or reusing the cached model ...", flush=True)
                starter = starter_bot.ensure_model()
                results["training"]["starter"] = {
                    "seconds": starter.train_seconds,
                    "source": f"{starter.project.relative_to(ROOT)}/bench-train.json"
                    + (" (trained in this run)" if starter.trained_now else " (cached from an earlier run)"),
                    "custom_actions": starter.has_custom_actions,
                }
            if "ours" in args.bot_names:
                print("starting our stack ...", flush=True)
                stack, ours = start_ours(Path(folder))
                bots.append(ours)
                results["ours_stack"] = stack_description(stack)
                results["proxy_overhead"] = proxy_overhead(stack)
            if "starter" in args.bot_names:
                print("starting the starter bot ...", flush=True)
                starter_server = starter_bot.StarterServer(starter, free_port(), LOGS / "starter").start()
                bots.append(
                    Bot("starter", starter_server.url, starter_conversation, starter_bot.FINAL_REPLY,
                        {"rasa": starter_server.process.pid})
                )  # fmt: skip
            for bot in bots:
                warm_up(bot)
            all_processes = {f"{bot.name}:{name}": pid for bot in bots for name, pid in bot.processes.items()}
            results["levels"] = []
            for concurrency in args.levels:
                for bot in bots:
                    print(f"level {concurrency} visitors, {bot.name} ...", flush=True)
                    level = run_level(bot, all_processes, concurrency, args)
                    results["levels"].append(level)
                    print(f"  {level['turns']} turns, p95 {level['latency_ms']['p95']} ms, "
                          f"{level['throughput_tps']} turns/s, errors {level['errors']}", flush=True)  # fmt: skip
                    time.sleep(2)  # let the machine settle between runs
        finally:
            if starter_server:
                starter_server.stop()
            if stack:
                stack.stop()
    results["summary"] = summary(results["levels"])


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    conversations = {"ours": our_conversation(0)}
    if args.mode == "compare":
        conversations["starter"] = starter_conversation(0)
    results: dict = {
        "mode": args.mode,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([os.path.relpath(sys.executable, ROOT), os.path.relpath(__file__, ROOT), *sys.argv[1:]]),
        "machine": machine(),
        "settings": {
            "concurrency": args.levels,
            "conversations_per_level": "max(visitors x turns-per-visitor, min-turns) / turns per conversation",
            "turns_per_visitor": args.turns_per_visitor,
            "min_turns": args.min_turns,
            "time_limit_s": args.time_limit,
            "ramp_up_s": args.ramp_up,
            "think_time_s": 0,
            "request_timeout_s": REQUEST_TIMEOUT,
            "rate_limits": "defaults: 30 messages/min per sender, loopback exempt from the per-IP limit",
            "conversations": conversations,
            "warm_up": "one conversation per bot before the levels, not measured",
            "percentiles": "nearest rank over every turn sent, errors included",
        },
    }
    if args.mode == "production":
        results["settings"] |= {
            "instances": args.instance_counts,
            "warm_up": "four conversations per stack, one at a time, before the levels, not measured",
            "stack": "integrations/runtime/production.py: nginx (deploy/nginx.conf.template: 2 workers, round robin, "
            "keepalive 32 "
            "to the Rasa and the action servers) in front of N Rasa servers (integrations.rasa.server) and N action "
            "servers, N dispatchers, PostgreSQL tracker and lead store (throw-away databases), atomic Redis lock "
            "store (unique key prefix); every stack up for the whole run, levels run stack after stack",
            "url": "POST /webhooks/rest/webhook on nginx's public port",
            "cpu": "per process tree, counting exited children (PostgreSQL backends); postgres and redis are the "
            "whole servers, shared with anything else using them",
        }
        run_production(args, results)
        results["summary"] = production_summary(results["levels"], args.instance_counts)
    else:
        run_compare(args, results)
    results["duration_s"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    if args.mode == "production":
        image = args.output.with_suffix(".png")
        plot_production(results, image)
        print(markdown_production(results))
    else:
        image = args.output.with_name("load_latency.png")
        plot(results, image)
        print(markdown(results))
    print(f"\nwritten {args.output} and {image} in {results['duration_s']} s")


if __name__ == "__main__":
    main()
