"""What the parts of the load benchmark share: paths, the run's id, quiet notification channels, free ports
and the lead store's migration."""

from __future__ import annotations

import secrets
import socket
import subprocess

from integrations.runtime.stack import ACTIONS_PYTHON, RASA_PYTHON, ROOT, Stack

__all__ = ["RASA_PYTHON", "ROOT"]

RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / "var" / "bench" / "load-logs"
REQUEST_TIMEOUT = 120.0
RUN_ID = secrets.token_hex(3)
# The dispatchers read .env: with these blank, benchmark leads reach only the run's own outbox log, never a real
# Slack, webhook, HubSpot or Salesforce account (integrations/outbox/registry.py enables a channel when set).
QUIET_CHANNELS = dict.fromkeys(
    ("SLACK_WEBHOOK_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "HUBSPOT_TOKEN", "SALESFORCE_OID"), ""
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all held open at once while they are picked)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def migrate(database_url: str) -> None:
    """integrations.store.migrate.upgrade, run in the action server's environment (SQLAlchemy 2, Alembic)."""
    subprocess.run(
        [str(ACTIONS_PYTHON), "-m", "integrations.store.migrate", database_url],
        cwd=ROOT, env=Stack.base_env(), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
