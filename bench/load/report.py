"""The report: the summaries of a run, its markdown tables, and writing the results file with its plot.

Standard library only at import (bench/plot_load.py, which needs matplotlib, is imported when plotting), so the
unit tests import it from the action server's environment."""

from __future__ import annotations

import json
from pathlib import Path

from bench.load.figures import ratio


def find(levels: list[dict], bot: str, concurrency: int) -> dict | None:
    return next((level for level in levels if level["bot"] == bot and level["concurrency"] == concurrency), None)


def summary(levels: list[dict]) -> dict:
    ours50, starter50 = find(levels, "ours", 50), find(levels, "starter", 50)
    at100 = {bot: find(levels, bot, 100) for bot in ("ours", "starter")}
    return {
        "p95_ratio_ours_over_starter_at_50": ratio(
            ours50["latency_ms"]["p95"] if ours50 else None, starter50["latency_ms"]["p95"] if starter50 else None
        ),
        "throughput_ratio_ours_over_starter_at_50": ratio(
            ours50["throughput_tps"] if ours50 else None, starter50["throughput_tps"] if starter50 else None
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


def write(results: dict, output: Path) -> Path:
    """The results file, its plot next to it (load_latency.png; for the production mode, the results file's name
    with .png) and the markdown tables on stdout; the plot's path."""
    from bench.plot_load import plot, plot_production  # matplotlib: Rasa's environment

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    if results["mode"] == "production":
        image = output.with_suffix(".png")
        plot_production(results, image)
        print(markdown_production(results))
    else:
        image = output.with_name("load_latency.png")
        plot(results, image)
        print(markdown(results))
    return image
