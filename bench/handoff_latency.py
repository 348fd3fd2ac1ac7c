"""Benchmark: time from the visitor's last answer to the rep's Slack notification arriving.

Usage: .venvs/actions/bin/python -m bench.handoff_latency [--leads 30]
Starts the real stack (Rasa, action server, dispatcher) on 127.0.0.1 with Slack pointed at a
local server that records arrival times, plays N sales-qualified conversations one after the
other, and reports p50 / p95 / max of (Slack arrival - moment the consent answer was sent).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.conversations import SQL_ANSWERS, letters
from integrations.runtime.stack import Stack, StackConfig
from integrations.store.migrate import upgrade
from tests.support.receivers import Receivers

ROOT = Path(__file__).resolve().parent.parent


def say(url: str, sender: str, text: str) -> list[dict]:
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=30)
    args = parser.parse_args()
    receivers = Receivers().start()
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder)
        config = StackConfig(
            rasa_port=15305, actions_port=15355, web_port=18380, rasa_token=secrets.token_urlsafe(16),
            database_url=f"sqlite:///{state / 'leads.db'}", tracker_db=state / "tracker.db",
            outbox_log=state / "outbox.log", state_dir=state,
            extra_env={"SLACK_WEBHOOK_URL": f"{receivers.base}/slack"},
        )  # fmt: skip
        upgrade(config.database_url)
        latencies = []
        with Stack(config, web=False):
            for index in range(args.leads):
                sender = f"bench-{index}"
                for text in (*SQL_ANSWERS, f"Bench {letters(index)}", f"bench{index}@latency.io", "Bench Co", "/skip"):
                    say(config.rasa_url, sender, text)
                sent_at = time.time()
                say(config.rasa_url, sender, "/affirm")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    arrived = [
                        item.at for item in receivers.on("slack") if f"bench{index}@latency.io" in item.body.decode()
                    ]
                    if arrived:
                        latencies.append(arrived[0] - sent_at)
                        break
                    time.sleep(0.005)
        receivers.stop()
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"hand-offs measured: {len(latencies)} of {args.leads}")
    print(f"last answer -> Slack notification: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
