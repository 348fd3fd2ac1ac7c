"""Compare NLU pipelines on the held-out set: accuracy, training time and parse latency.

Usage: .venvs/actions/bin/python -m bench.compare_pipelines [--json FILE] [CONFIG ...]
Defaults to the shipped config.yml and the candidates in bench/pipelines/. Each pipeline is
trained (NLU only, with an empty training cache, so every component really trains) into a
temporary folder, served by a real Rasa server on 127.0.0.1 (port 15905 + TEST_PORT_OFFSET), and
measured with bot/evaluation.py plus 300 timed /model/parse calls. Memory: the
training process's peak RSS and the server's RSS after the measurement; start: seconds from
`rasa run` until the server reports its model loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bot.evaluation import evaluate
from integrations.runtime.stack import RASA_BIN, Stack
from tests.support.ports import port

ROOT = Path(__file__).resolve().parent.parent

PORT = port(15905)  # shifted by TEST_PORT_OFFSET, like the test suites' ports
LATENCY_SAMPLES = 300
SAMPLE_TEXTS = [
    "we have about 20k set aside for this",
    "I'm the head of sales",
    "in 6 weeks",
    "our reps waste hours on bad leads",
    "what does it cost?",
]


def train(config: Path, out: Path) -> tuple[float, float]:
    """Train NLU only; returns the seconds taken and the training process's peak RSS in MB."""
    env = {**Stack.base_env(), "RASA_CACHE_DIRECTORY": str(out / "cache")}  # cold: nothing reused from a run before
    started = time.monotonic()
    process = subprocess.Popen(
        [str(RASA_BIN), "train", "nlu", "--config", str(config), "--nlu", "bot/data/nlu", "--out", str(out),
         "--fixed-model-name", "nlu"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"training {config} failed (exit {process.returncode})")
    return time.monotonic() - started, usage.ru_maxrss / 1024


def serve(model: Path) -> tuple[subprocess.Popen, float]:
    """Start a Rasa server on the model; returns it and the seconds until it had the model loaded."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(RASA_BIN), "run", "--enable-api", "--model", str(model), "--port", str(PORT), "--interface", "127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=Stack.base_env(),
    )  # fmt: skip
    deadline = started + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/status", timeout=2).json().get("model_file"):
                return process, time.monotonic() - started
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    process.kill()
    raise TimeoutError("Rasa did not start")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
        pids += [int(child) for child in children]
    return total


def parse_latency_ms() -> tuple[float, float]:
    session = requests.Session()
    timings = []
    for index in range(LATENCY_SAMPLES):
        started = time.perf_counter()
        session.post(f"http://127.0.0.1:{PORT}/model/parse", json={"text": SAMPLE_TEXTS[index % 5]}, timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95)]


def measure(config: Path, reports: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        training_seconds, training_mb = train(config, Path(folder))
        process, start_seconds = serve(Path(folder) / "nlu.tar.gz")
        try:
            text, summary = evaluate(f"http://127.0.0.1:{PORT}", None)
            if reports:
                reports.mkdir(parents=True, exist_ok=True)
                (reports / f"{config.stem}.txt").write_text(text + "\n")
            p50, p95 = parse_latency_ms()
            server_mb = rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "config": str(config.relative_to(ROOT)),
        "train_s": training_seconds,
        "train_peak_mb": training_mb,
        "server_mb": server_mb,
        "server_start_s": start_seconds,
        "p50_ms": p50,
        "p95_ms": p95,
        **summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", type=Path)
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON here")
    parser.add_argument("--reports", type=Path, help="write each pipeline's full held-out report here")
    args = parser.parse_args()
    configs = [path.resolve() for path in args.configs] or [
        ROOT / "config.yml",
        *sorted((ROOT / "bench" / "pipelines").glob("*.yml")),
    ]
    rows = []
    for config in configs:
        rows.append(measure(config, args.reports))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # progress, and nothing lost if a later one fails
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(
        "| pipeline | BANT | need | authority | budget | timeline | side q. | train (s) | parse p50 / p95 (ms) "
        "| memory: training peak / server (MB) | server start (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        slots = row["per_slot"]
        print(
            f"| `{row['config']}` | {row['bant_accuracy']:.1%} | {slots['need']:.1%} | {slots['authority']:.1%} | "
            f"{slots['budget']:.1%} | {slots['timeline']:.1%} | {row['side_question_accuracy']:.1%} | "
            f"{row['train_s']:.0f} | {row['p50_ms']:.1f} / {row['p95_ms']:.1f} | "
            f"{row['train_peak_mb']:.0f} / {row['server_mb']:.0f} | {row['server_start_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
