"""The conversation driver: the bots under test and what their visitors say, visitors playing whole conversations
through the REST channel, and one concurrency level's figures (latency, errors, throughput, CPU, memory)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import requests
import yaml

from bench import starter_bot
from bench.conversations import letters, typed_hot_lead
from bench.load.common import REQUEST_TIMEOUT, ROOT, RUN_ID
from bench.load.figures import access_summary, action_summary, latency_summary, share_of_machine
from bench.load.sampling import Sampler
from integrations.rasa.guards import NO_REPLY_TEXT

LEAD_NOT_SAVED_TEXT = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())["responses"]["utter_lead_saved_error"][
    0
]["text"]
ERROR_TEXTS = {NO_REPLY_TEXT: "technical_problem", LEAD_NOT_SAVED_TEXT: "lead_not_saved"}
OUR_FINAL_REPLY = "from our sales team will contact you within"
# Logged by bot/actions/clauses.py when the action server's own /model/parse call to Rasa fails or times out.
CLAUSE_PARSE_FAILED = "clause parse failed"


def our_conversation(index: int) -> list[str]:
    """A hot lead typing freely, with a side question mid-form (bench/conversations.py)."""
    name = letters(index)
    return typed_hot_lead(f"Maria {name}", f"maria.{name.lower()}.{RUN_ID}@globex-bench.com", "Globex Inc.")


def starter_conversation(index: int) -> list[str]:
    return list(starter_bot.CONVERSATION)


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
    polite_error = next((ERROR_TEXTS[text] for text in texts if text in ERROR_TEXTS), None)
    return Turn(latency_ms, polite_error), texts


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


def drain_timings(bot: Bot) -> list[dict]:
    if not bot.proxy_url:
        return []
    return requests.get(f"{bot.proxy_url}/__timings__", timeout=30).json()


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
        **(
            {"nginx": access_summary(read_after(bot.access_log, access_start).splitlines(), bot.upstream_names)}
            if bot.access_log
            else {}
        ),
    }


def read_after(path: Path, start: int) -> str:
    """What was written to a log after byte `start`."""
    with open(path, "rb") as log:
        log.seek(start)
        return log.read().decode(errors="replace")


def log_count(path: Path, start: int, marker: str) -> int:
    """Lines containing `marker` written to a log after byte `start`."""
    return read_after(path, start).count(marker)


def warm_up(bot: Bot, conversations: int = 1) -> None:
    """Conversations before measuring (first turns after a model load are slow); complain if one goes wrong."""
    record = asyncio.run(drive(bot, 1, conversations, 120.0 * conversations, 0.0))
    errors = [turn.error for turn in record.turns if turn.error]
    if errors or record.as_expected < conversations:
        print(f"warning: the {bot.name} warm-up conversation went wrong: errors {errors}, "
              f"transcript {record.unexpected}", file=sys.stderr)  # fmt: skip
    drain_timings(bot)
