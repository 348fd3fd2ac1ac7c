"""Routing hot leads to reps: eligibility by segment, round-robin kept in the database."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from integrations.routing import Rep, RoutingPolicy, assign_rep, lead_segments
from integrations.store.db import transaction
from tests.conftest import ROOT

POLICY = RoutingPolicy.from_yaml(
    {
        "reps": [
            {"name": "Ana", "email": "ana@x.io", "segments": {"region": ["EU"]}},
            {"name": "Ben", "email": "ben@x.io", "segments": {}},
            {"name": "Cy", "email": "cy@x.io", "segments": {}},
            {"name": "Dee", "email": "dee@x.io", "active": False},
        ],
        "fallback": {"name": "Sales team", "email": "sales@x.io"},
    }
)


def assign(url: str, lead: dict) -> str:
    with transaction(url) as session:
        return assign_rep(session, POLICY, lead).name


def test_round_robin_among_eligible_reps(database_url: str) -> None:
    eu = [assign(database_url, {"region": "EU"}) for _ in range(6)]
    us = [assign(database_url, {"region": "NA"}) for _ in range(4)]
    assert Counter(eu) == {"Ana": 2, "Ben": 2, "Cy": 2}
    assert us == ["Ben", "Cy", "Ben", "Cy"]


def test_inactive_reps_get_nothing_and_fallback_when_none_eligible(database_url: str) -> None:
    only_eu = RoutingPolicy([Rep("Ana", "a@x.io", segments={"region": ["EU"]})], Rep("Queue", "q@x.io"), {"SQL"})
    with transaction(database_url) as session:
        assert assign_rep(session, only_eu, {"region": "NA"}).name == "Queue"
    assert "Dee" not in {assign(database_url, {"region": None}) for _ in range(6)}


def test_turn_survives_a_restart(database_url: str) -> None:
    first = assign(database_url, {"region": "NA"})
    from integrations.store.db import engine_for

    engine_for.cache_clear()  # a new process would start with a new engine
    assert assign(database_url, {"region": "NA"}) != first


def test_region_from_phone_number() -> None:
    assert lead_segments("+442079460958", None)["region"] == "EU"
    assert lead_segments("+14155552671", None)["region"] == "NA"
    assert lead_segments(None, "x@y.io")["region"] is None


ASSIGNER = """
import sys
from integrations.routing import RoutingPolicy, assign_rep
from integrations.store.db import transaction
policy = RoutingPolicy.from_yaml({
    "reps": [{"name": n, "email": n + "@x.io"} for n in ("r1", "r2", "r3", "r4")],
    "fallback": {"name": "q", "email": "q@x.io"},
})
for _ in range(int(sys.argv[2])):
    with transaction(sys.argv[1]) as session:
        print(assign_rep(session, policy, {}).name, flush=True)
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_assigning_concurrently_stay_fair(backend: str, database_url: str, request) -> None:
    url = database_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    per_process = 40
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ASSIGNER, url, str(per_process)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    names = []
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        names += out.split()
    assert len(names) == 2 * per_process
    assert Counter(names) == {"r1": 20, "r2": 20, "r3": 20, "r4": 20}
