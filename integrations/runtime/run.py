"""`make run`: start the assistant and keep it running until Ctrl-C; `--shell` talks to it in the terminal."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from integrations.runtime.stack import RASA_COMMAND, ROOT, Stack, StackConfig
from integrations.runtime.supervise import Process, Supervisor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shell", action="store_true", help="chat in this terminal instead of the web page")
    parser.add_argument(
        "--actions", action="store_true", help="only the action server, in the foreground (`make actions`)"
    )
    args = parser.parse_args()
    try:
        config = StackConfig.from_env()
    except ValueError as error:  # e.g. an ALLOWED_ORIGINS entry that is not an origin
        sys.exit(f"error: {error} (in .env or the environment)")
    if args.actions:
        run_action_server(config)
    stack = Stack(config, web=not args.shell)
    started = time.monotonic()
    print("==> starting the action server, Rasa and the demo page (first start takes about a minute)")
    print(f"    model: {shown(config.model)} (the newest in models/)")
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as error:
        stack.stop()
        sys.exit(f"error: {error}")
    if args.shell:
        try:
            endpoints = str(config.state_dir / "endpoints.yml")
            command = [*RASA_COMMAND, "shell", "--model", str(config.model), "--endpoints", endpoints]
            subprocess.run(command, cwd=ROOT, env=stack.env(), check=False)
        finally:
            stack.stop()
        return

    print(f"\nReady in {time.monotonic() - started:.0f}s.\n")
    print(f"  Open the demo page:  {config.web_url}")
    print(f"  Rasa REST channel:   {config.rasa_url}/webhooks/rest/webhook")
    print(f"  Rasa HTTP API:       {config.rasa_url}  (token: RASA_TOKEN in .env)")
    print(f"  Leads database:      {config.database_url}")
    print(f"  Rep notifications:   {config.outbox_log}")
    print(f"  Logs:                {stack.log_dir}\n")
    serve_until_interrupted(lambda: stack.processes, stack.stop, stack.log_dir, stack.restart)


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_action_server(config: StackConfig) -> None:
    """`make actions`: what `rasa run actions` does (rasa-sdk's server on the actions package, port 5055 by
    default), in this project's action-server environment, with `.env`'s port, token and database, on
    127.0.0.1. Replaces this process, so Ctrl-C stops the server itself."""
    stack = Stack(config, web=False)
    try:
        stack.check_settings()
    except RuntimeError as error:
        sys.exit(f"error: {error}")
    command = stack.actions_command()
    token = "required (ACTION_SERVER_TOKEN in .env)" if config.action_token else "not set: calls are not checked"
    print(f"==> action server on http://127.0.0.1:{config.actions_port}/webhook, X-Action-Token {token}", flush=True)
    os.chdir(ROOT)
    os.execve(command[0], command, stack.env())


def serve_until_interrupted(
    processes: Callable[[], Mapping[str, Process]],
    stop: Callable[[], None],
    log_dir: Path,
    restart: Callable[[str], None],
    interval: float = 0.5,
) -> None:
    """Restart any process that exits (integrations/runtime/supervise.py) until Ctrl-C, then stop all exactly once."""
    print("Press Ctrl-C to stop.", flush=True)
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.append(True))
    supervisor = Supervisor(processes, restart, log_dir, say=lambda line: print(line, flush=True))
    try:
        while not stopping:
            supervisor.check()
            time.sleep(interval)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not leave servers behind
        print("\nstopping...")
        stop()
        print("stopped.")


if __name__ == "__main__":
    main()
