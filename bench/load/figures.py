"""The benchmark's arithmetic, without I/O: percentiles, latency summaries, the action server's time per call,
nginx's access log, CPU shares. Standard library only, so the unit tests import it from any environment."""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence


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


def ratio(ours: float | None, starter: float | None) -> float | None:
    return round(ours / starter, 2) if ours is not None and starter else None


def share_of_machine(cpu_seconds: float, wall: float) -> float:
    """CPU seconds as a percentage of all cores over `wall` seconds."""
    return round(100 * cpu_seconds / (wall * (os.cpu_count() or 1)), 1)


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


# Requests in nginx's access log (deploy/nginx.conf.template's `upstream` format), by path.
ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) upstream=(?P<upstream>.*?) '
    r"upstream_status=\S.*? time=(?P<seconds>[\d.]+)$"
)
ACCESS_KINDS = {"/webhooks/rest/webhook": "rest", "/webhook": "actions", "/model/parse": "parse"}


def access_summary(lines: Iterable[str], upstream_names: dict[str, str]) -> dict:
    """nginx's view of a level, from its access log's lines: REST messages, action calls and the action servers'
    parse calls to Rasa; for each, requests per upstream server (named by `upstream_names`), statuses and
    request time."""
    kinds: dict[str, dict] = defaultdict(lambda: {"requests": 0, "by_server": defaultdict(int), "non_200": 0,
                                                  "passed_on": 0, "seconds": []})  # fmt: skip
    for line in lines:
        match = ACCESS_LINE.search(line)
        if not match:
            continue
        kind = kinds[ACCESS_KINDS.get(match["path"].split("?")[0], "other")]
        kind["requests"] += 1
        upstreams = [address.strip() for address in match["upstream"].split(",")]
        kind["by_server"][upstream_names.get(upstreams[-1], upstreams[-1])] += 1
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
