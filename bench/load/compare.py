"""--mode compare: the assistant's real stack, with Rasa calling the action server through the timing proxy,
against plain Rasa's starter bot (bench/starter_bot.py), level by level; and our model's training time."""

from __future__ import annotations

import argparse
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import requests

from bench import starter_bot
from bench.load.common import LOGS, QUIET_CHANNELS, RASA_PYTHON, ROOT, free_port, migrate
from bench.load.driver import OUR_FINAL_REPLY, Bot, our_conversation, run_level, starter_conversation, warm_up
from bench.load.figures import latency_summary, percentile
from bench.load.record import stack_description
from bench.load.report import summary
from integrations.runtime.stack import MODEL, Stack, StackConfig, wait_until_ok

PROXY_CALIBRATION_CALLS = 200


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
        "added_p50_ms": round((percentile(proxied, 50) or 0.0) - (percentile(direct, 50) or 0.0), 2),
        "what": "sequential GET /health of the action server, direct and through the proxy, before the levels",
    }


def run(args: argparse.Namespace, results: dict) -> None:
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
                assert starter_server.process is not None
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
