"""What ran, for the results file: the machine, our model and each server's command line, the run's settings."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shlex
from datetime import datetime, timezone
from pathlib import Path

from bench import starter_bot
from bench.load.common import REQUEST_TIMEOUT
from bench.load.driver import our_conversation, starter_conversation
from integrations.runtime.production import ProductionStack
from integrations.runtime.stack import MODEL, Stack


def start(args: argparse.Namespace, command: str) -> dict:
    """The results file's head: the mode, the date, the command, the machine and the settings of the run."""
    conversations = {"ours": our_conversation(0)}
    if args.mode == "compare":
        conversations["starter"] = starter_conversation(0)
    return {
        "mode": args.mode,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
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


def stack_description(stack: Stack | ProductionStack) -> dict:
    """What exactly ran as ours: the model file and each process's command line (token left out)."""
    digest = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    commands = {
        name: shlex.join(
            "--auth-token=***" if str(arg).startswith("--auth-token=") else str(arg)
            for arg in (process.args if isinstance(process.args, (list, tuple)) else [process.args])
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
