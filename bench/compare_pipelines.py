"""Compare NLU pipelines on the held-out set: accuracy, training time and parse latency.

Usage: .venvs/actions/bin/python bench/compare_pipelines.py [CONFIG ...]
Defaults to the shipped config.yml and the candidates in bench/pipelines/. Each pipeline is
trained (NLU only) into a temporary folder, served by a real Rasa server on 127.0.0.1, and
measured with scripts/evaluate_understanding.py plus 300 timed /model/parse calls.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from evaluate_understanding import evaluate  # noqa: E402
from stack import RASA_BIN, Stack  # noqa: E402

PORT = 15905
LATENCY_SAMPLES = 300
SAMPLE_TEXTS = [
    "we have about 20k set aside for this",
    "I'm the head of sales",
    "in 6 weeks",
    "our reps waste hours on bad leads",
    "what does it cost?",
]


def train(config: Path, out: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [str(RASA_BIN), "train", "nlu", "--config", str(config), "--nlu", "bot/data/nlu", "--out", str(out),
         "--fixed-model-name", "nlu"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=Stack.base_env(),
    )  # fmt: skip
    return time.monotonic() - started


def serve(model: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(RASA_BIN), "run", "--enable-api", "--model", str(model), "--port", str(PORT), "--interface", "127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=Stack.base_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/status", timeout=2).json().get("model_file"):
                return process
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    process.kill()
    raise TimeoutError("Rasa did not start")


def parse_latency_ms() -> tuple[float, float]:
    session = requests.Session()
    timings = []
    for index in range(LATENCY_SAMPLES):
        started = time.perf_counter()
        session.post(f"http://127.0.0.1:{PORT}/model/parse", json={"text": SAMPLE_TEXTS[index % 5]}, timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95)]


def measure(config: Path) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        training_seconds = train(config, Path(folder))
        process = serve(Path(folder) / "nlu.tar.gz")
        try:
            _, summary = evaluate(f"http://127.0.0.1:{PORT}", None)
            p50, p95 = parse_latency_ms()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "config": str(config.relative_to(ROOT)),
        "train_s": training_seconds,
        "p50_ms": p50,
        "p95_ms": p95,
        **summary,
    }


def main() -> None:
    configs = [Path(arg).resolve() for arg in sys.argv[1:]] or [
        ROOT / "config.yml",
        *sorted((ROOT / "bench" / "pipelines").glob("*.yml")),
    ]
    rows = [measure(config) for config in configs]
    print("| pipeline | BANT | need | authority | budget | timeline | side q. | train (s) | parse p50 / p95 (ms) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        slots = row["per_slot"]
        print(
            f"| `{row['config']}` | {row['bant_accuracy']:.1%} | {slots['need']:.1%} | {slots['authority']:.1%} | "
            f"{slots['budget']:.1%} | {slots['timeline']:.1%} | {row['side_question_accuracy']:.1%} | "
            f"{row['train_s']:.0f} | {row['p50_ms']:.1f} / {row['p95_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
