"""Round-robin stays fair with two action servers assigning hot leads at the same time."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from integrations.runtime.stack import ROOT, Stack, StackConfig, wait_until_ok
from integrations.store.migrate import upgrade
from integrations.store.models import Lead
from tests.support.ports import port

REPS = ["Rep One", "Rep Two", "Rep Three"]
PER_SERVER = 30
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
HOT = {"need": "defined", "authority": "decision_maker", "budget": "allocated", "timeline": "immediate"}


@pytest.fixture(scope="module")
def action_servers(tmp_path_factory: pytest.TempPathFactory):
    state = tmp_path_factory.mktemp("round-robin")
    reps_file = state / "reps.yml"
    reps_file.write_text(
        yaml.safe_dump(
            {
                "reps": [{"name": name, "email": f"{name.split()[1].lower()}@acme.example"} for name in REPS],
                "fallback": {"name": "Queue", "email": "sales@acme.example"},
            }
        )
    )
    database_url = f"sqlite:///{state / 'leads.db'}"
    upgrade(database_url)
    servers = []
    for actions_port in (port(15455), port(15456)):
        config = StackConfig(
            actions_port=actions_port,
            database_url=database_url,
            outbox_log=state / "outbox.log",
            state_dir=state,
            extra_env={"REPS_FILE": str(reps_file)},
        )
        server = Stack(config, log_dir=Path(f"tests/reports/logs/actions-{actions_port}"), web=False)
        server.start_actions()
        servers.append(server)
    try:
        for server in servers:
            wait_healthy(server.config.actions_url)
        yield database_url, [server.config.actions_url for server in servers]
    finally:
        for server in servers:
            server.stop()


def wait_healthy(url: str, timeout: float = 60) -> None:
    wait_until_ok(f"{url}/health", timeout, interval=0.3)


def qualify_request(index: int) -> dict:
    """What Rasa sends the action server when a hot lead's contact form is complete."""
    sender = f"rr-{uuid.uuid4().hex[:8]}"
    slots = {name: None for name in DOMAIN["slots"]}
    slots.update(
        HOT, person_name=f"Visitor {index}", email=f"visitor{index}@round-robin.io", company="Co", consent=True
    )
    return {
        "next_action": "action_qualify_lead",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": DOMAIN,
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "/affirm", "intent": {"name": "affirm", "confidence": 1.0}},
            "events": [{"event": "user", "text": "/affirm", "metadata": {}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "contact_form",
        },
    }


def test_two_action_servers_share_the_turn_fairly(action_servers) -> None:
    database_url, urls = action_servers
    jobs = [(urls[index % 2], qualify_request(index)) for index in range(2 * PER_SERVER)]

    def post(job):
        url, body = job
        response = requests.post(f"{url}/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, jobs))
    assert all(any(event.get("name") == "lead_stage" for event in result["events"]) for result in results)
    with Session(create_engine(database_url)) as session:
        assigned = Counter(session.scalars(select(Lead.assigned_rep)))
    assert assigned == {name: 2 * PER_SERVER // len(REPS) for name in REPS}
