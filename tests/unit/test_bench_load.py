"""The load benchmark's pure parts (bench/load/figures.py, report.py, the options of __main__.py): the
percentiles and summaries every figure rests on, and the tables a run prints. No server is started."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench.load import figures, report
from bench.load.__main__ import parse_args
from tests.conftest import ROOT


def test_percentiles_are_nearest_rank_and_rounded() -> None:
    values = [float(value) for value in range(1, 101)]  # 1 .. 100
    assert [figures.percentile(values, share) for share in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert figures.percentile([3.14159], 50) == 3.1
    assert figures.percentile([10.0, 20.0, 30.0], 0) == 10.0  # rank 0 means the smallest, not an IndexError
    assert figures.percentile([30.0, 10.0, 20.0], 50) == 20.0  # order of the turns does not matter
    assert figures.percentile([], 95) is None


def test_latency_summary_and_ratios() -> None:
    assert figures.latency_summary([100.0, 200.0, 300.0, 400.0]) == {"p50": 200.0, "p95": 400.0, "p99": 400.0,
                                                                    "max": 400.0}  # fmt: skip
    assert figures.latency_summary([]) == dict.fromkeys(("p50", "p95", "p99", "max"))
    assert figures.ratio(3.0, 2.0) == 1.5
    assert figures.ratio(None, 2.0) is None
    assert figures.ratio(3.0, 0.0) is None  # a starter with no throughput gives no ratio, not a ZeroDivisionError


def test_action_summary_counts_only_named_actions() -> None:
    calls = [
        {"action": "validate_bant_form", "upstream_ms": 10.0, "overhead_ms": 1.0, "status": 200, "request_bytes": 2048},
        {"action": "validate_bant_form", "upstream_ms": 30.0, "overhead_ms": 1.0, "status": 500, "request_bytes": 0},
        {"action": None, "upstream_ms": 99.0, "overhead_ms": 9.0, "status": 200, "request_bytes": 10},  # /health
    ]
    found = figures.action_summary(calls, turns=4)
    assert (found["calls"], found["calls_per_turn"], found["non_200"]) == (2, 0.5, 1)
    assert found["upstream_ms"]["max"] == 30.0
    assert found["by_action"] == {"validate_bant_form": {"calls": 2, "p50_ms": 10.0, "p95_ms": 30.0,
                                                         "mean_request_kb": 1.0}}  # fmt: skip
    assert figures.action_summary([], turns=0)["calls_per_turn"] is None


def test_nginx_access_lines_are_counted_per_kind_and_server() -> None:
    def line(path: str, status: int, upstream: str, seconds: str) -> str:
        return (f'127.0.0.1 [01/Dec/2026:10:00:00 +0000] "POST {path} HTTP/1.1" {status} upstream={upstream} '
                f"upstream_status={status} time={seconds}")  # fmt: skip

    lines = [
        line("/webhooks/rest/webhook", 200, "127.0.0.1:5001", "0.250"),
        line("/webhooks/rest/webhook", 502, "127.0.0.1:5001, 127.0.0.1:5002", "0.500"),  # passed on to rasa2
        line("/webhook", 200, "127.0.0.1:6001", "0.010"),
        line("/model/parse?emulation_mode=rasa", 200, "127.0.0.1:5002", "0.030"),
        "a line in another format",
    ]
    names = {"127.0.0.1:5001": "rasa1", "127.0.0.1:5002": "rasa2", "127.0.0.1:6001": "actions1"}
    found = figures.access_summary(lines, names)
    assert sorted(found) == ["actions", "parse", "rest"]
    assert found["rest"]["requests"] == 2
    assert found["rest"]["by_server"] == {"rasa1": 1, "rasa2": 1}
    assert (found["rest"]["non_200"], found["rest"]["passed_on"]) == (1, 1)
    assert found["rest"]["request_time_ms"]["max"] == 500.0
    assert found["parse"]["by_server"] == {"rasa2": 1}


def test_cpu_by_role_sums_the_instances() -> None:
    level = {"cpu_s": {"node1/rasa": 1.0, "node2/rasa": 2.0, "node1/actions": 0.5, "nginx": 0.25}, "turns": 10}
    assert figures.roles(level) == {"rasa": 300.0, "actions": 50.0, "nginx": 25.0}
    assert figures.roles({"cpu_s": {"rasa": 1.0}, "turns": 0}) == {"rasa": 1000.0}


def level(bot: str, concurrency: int, p95: float, throughput: float, errors: dict | None = None) -> dict:
    return {
        "bot": bot,
        "concurrency": concurrency,
        "turns": 240,
        "errors": errors or {},
        "latency_ms": {"p50": p95 / 2, "p95": p95, "p99": p95 * 2, "max": p95 * 3},
        "first_turn_latency_ms": {"p50": 5.0, "p95": 7.0, "p99": 8.0, "max": 9.0},
        "throughput_tps": throughput,
        "cpu_ms_per_turn": {"rasa": 12.5},
        "peak_rss_mb": {"rasa": 700, "actions": 120} if bot == "ours" else {"rasa": 650},
        "other_processes_cpu_pct": 1.5,
        "action_server": {"calls": 600, "calls_per_turn": 2.5,
                          "upstream_ms": {"p50": 9.0, "p95": 60.0, "p99": 110.0}} if bot == "ours" else None,
    }  # fmt: skip


def test_compare_summary_and_table() -> None:
    levels = [
        level("ours", 50, p95=400.0, throughput=20.0),
        level("starter", 50, p95=200.0, throughput=40.0),
        level("ours", 100, p95=900.0, throughput=21.0, errors={"http_429": 2}),
    ]
    summary = report.summary(levels)
    assert summary == {
        "p95_ratio_ours_over_starter_at_50": 2.0,
        "throughput_ratio_ours_over_starter_at_50": 0.5,
        "errors_at_100": {"ours": {"http_429": 2}, "starter": None},
    }
    results = {
        "levels": levels,
        "summary": summary,
        "training": {"ours": {"seconds": 61.0, "source": "--our-train-seconds"}, "starter": {"seconds": 20.0}},
        "proxy_overhead": {"added_p50_ms": 0.4},
    }
    table = report.markdown(results).splitlines()
    assert table[0].startswith("| visitors | bot | turns | errors | p50 ms | p95 ms | p99 ms | turns/s |")
    assert "| 50 | ours | 240 | 0 | 200.0 | 400.0 | 800.0 | 20.0 | 12.5 | rasa 700, actions 120 | 1.5 % |" in table
    assert "| 100 | ours | 240 | 2 | 450.0 | 900.0 | 1800.0 | 21.0 | 12.5 | rasa 700, actions 120 | 1.5 % |" in table
    assert "| 50 | starter | 240 | 0 | 100.0 | 200.0 | 400.0 | 40.0 | 12.5 | rasa 650 | 1.5 % |" in table
    assert "| 50 | 600 | 2.5 | 9.0 | 60.0 | 110.0 |" in table  # the action server's table, ours only
    assert "p95 ours/starter at 50 visitors: 2.0; throughput ours/starter at 50: 0.5; " in table[-4]
    assert table[-3] == "training: ours 61.0 s (--our-train-seconds); starter 20.0 s"
    assert table[-2].startswith("each visitor's first turn (opens its connection), p95: ours at 50: 7.0 ms")
    assert table[-1] == "timing proxy adds about 0.4 ms per action call (p50)"


def test_production_summary_and_tables() -> None:
    levels = []
    for instances, throughput, p95 in ((1, 10.0, 800.0), (2, 18.0, 400.0)):
        row = {**level(f"production-{instances}x", 50, p95=p95, throughput=throughput), "instances": instances}
        row |= {
            "cpu_s": {"node1/rasa": 30.0, "nginx": 0.0},
            "cpu_ms_per_turn_by_role": {"rasa": 125.0, "nginx": 0.0},
            "stack_cpu_pct_of_machine": 80.0,
            "peak_rss_mb": {"node1/rasa": 700, "node1/actions": 120},
            "nginx": {"rest": {"by_server": {"rasa1": 240}}, "actions": {"request_time_ms": {"p50": 9, "p95": 60}}},
            "conversations_done": 20,
            "conversations_as_expected": 20,
        }
        levels.append(row)
    summary = report.production_summary(levels, [1, 2])
    assert summary["scaling"] == [
        {"visitors": 50, "instances": "2 over 1", "throughput_ratio": 1.8, "p95_ratio": 0.5, "p50_ratio": 0.5}
    ]
    assert summary["max_other_processes_cpu_pct"] == 1.5
    results = {
        "levels": levels,
        "summary": summary,
        "machine": {"cores": 2},
        "stacks": {"1": {"start_s": 30.0, "lock_keys_left": 0}, "2": {"start_s": 40.0, "lock_keys_left": 0}},
    }
    table = report.markdown_production(results).splitlines()
    assert "stack CPU % of 2 cores" in table[0]
    assert "| 2 | 50 | 240 | 0 | 200.0 | 400.0 | 800.0 | 18.0 | 125.0 / - / 0.0 / - / - | 80.0 | 700 | 1.5 % |" in table
    assert "| 1 | 50 | node1/rasa 30.0 | rasa1 240 | 9 / 60 | 7.0 | 20/20 |" in table  # seconds of 0 left out
    assert "50 visitors, 2 over 1 instance(s): throughput x1.8, p95 x0.5, p50 x0.5" in table
    assert table[-1] == "start-up: 1 instance(s) 30.0 s, lock keys left 0; 2 instance(s) 40.0 s, lock keys left 0"


def test_the_options_keep_their_defaults() -> None:
    args = parse_args([])
    assert (args.mode, args.levels, args.bot_names, args.output) == (
        "compare", [1, 10, 50, 100], ["ours", "starter"], ROOT / "bench" / "results" / "load.json"
    )  # fmt: skip
    args = parse_args(["--mode", "production", "--instances", "2,1,2"])
    assert (args.levels, args.instance_counts) == ([10, 50, 100], [1, 2])
    assert args.output == ROOT / "bench" / "results" / "load_production.json"
    args = parse_args(["--concurrency", "1", "--bots", "ours", "--output", "/tmp/x.json", "--time-limit", "60"])
    assert (args.levels, args.bot_names, args.output, args.time_limit) == ([1], ["ours"], Path("/tmp/x.json"), 60.0)
    for wrong in (["--bots", "ours,theirs"], ["--concurrency", "0"], ["--instances", "0"]):
        with pytest.raises(SystemExit):
            parse_args(wrong)


BENCH_OWN = [
    *sorted((ROOT / "bench" / "load").glob("*.py")),
    ROOT / "bench" / "postgres.py",
    ROOT / "bench" / "conversations.py",
]


@pytest.mark.parametrize("path", BENCH_OWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_load_benchmark_imports_no_tests_and_replaces_its_process_only_when_run(path: Path) -> None:
    """bench/ owns what it runs (tests may import bench, not the other way round), and importing a module of the
    package never re-executes the interpreter: only a function (__main__.main) does."""
    tree = ast.parse(path.read_text(), str(path))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [name for name in imported if name.split(".")[0] == "tests"]
    at_import = [node for node in tree.body if not isinstance(node, ast.FunctionDef | ast.ClassDef)]
    assert not [node.lineno for node in at_import if "execv" in ast.dump(node)]
