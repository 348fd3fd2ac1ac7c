"""--mode production (docs/production.md): integrations/runtime/production.py's stacks (nginx in front of N Rasa
servers, action servers and dispatchers, PostgreSQL, the atomic Redis lock store), all up for the whole run,
driven level by level through nginx's public port."""

from __future__ import annotations

import argparse
import itertools
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import redis
import sqlalchemy

from bench.load.common import LOGS, QUIET_CHANNELS, RUN_ID, free_ports, migrate
from bench.load.driver import OUR_FINAL_REPLY, Bot, our_conversation, run_level, warm_up
from bench.load.figures import roles, share_of_machine
from bench.load.record import stack_description
from bench.load.report import production_summary
from bench.load.sampling import shared_services
from bench.postgres import POSTGRES_ADMIN_URL, throwaway_database
from integrations.runtime.production import NGINX, ProductionConfig, ProductionStack
from integrations.runtime.stack import MODEL


def settings(args: argparse.Namespace) -> dict:
    """What the results file says about this mode, besides the settings every mode has."""
    return {
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


def run(args: argparse.Namespace, results: dict) -> None:
    """Every instance count's stack up at once; per level, each of them in turn (as the default mode's bots).
    Fills in `results`: this mode's settings, the services, the stacks, the levels and the summary."""
    results["settings"] |= settings(args)
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
    results["summary"] = production_summary(results["levels"], args.instance_counts)


def finish_production(stack: BenchProductionStack, stacks: dict, key: str) -> None:
    stack.stop()
    stack.keep_nginx_error_log()
    stacks.setdefault(key, {})["lock_keys_left"] = drop_lock_keys(stack.config)
