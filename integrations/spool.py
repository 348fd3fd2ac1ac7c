"""A local spool for leads the database would not take, replayed by the dispatcher when it is back.

The lead store retries a locked or unreachable database for a few seconds (within the action
timeout, integrations/timeouts.py); a visitor should not wait longer, and the lead must not be
lost. So the action server appends the lead to a JSON-lines file (one line per lead, written
and fsynced under an exclusive lock), and the outbox worker (integrations/outbox/worker.py)
tries to store every spooled lead each round, keeping the ones that still fail. Storing is an
upsert by email, so a replay never duplicates.

The spool holds personal data only while the database is down; it lives next to the databases
(`LEAD_SPOOL`, default var/lead-spool.jsonl) under the same protection.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from integrations.store.leads import LeadRecord

logger = logging.getLogger(__name__)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock shared by every process that appends to or replays this spool."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def record_to_json(record: LeadRecord) -> dict[str, Any]:
    values = asdict(record)
    if record.follow_up_by is not None:
        values["follow_up_by"] = record.follow_up_by.isoformat()
    return values


def record_from_json(values: dict[str, Any]) -> LeadRecord:
    known = {item.name for item in fields(LeadRecord)}
    values = {key: value for key, value in values.items() if key in known}
    if values.get("follow_up_by"):
        values["follow_up_by"] = datetime.fromisoformat(values["follow_up_by"])
    return LeadRecord(**values)


def spool_lead(path: Path, record: LeadRecord) -> None:
    """Append the lead to the spool, durably (fsync) before returning."""
    line = json.dumps(
        {"spooled_at": datetime.now(timezone.utc).isoformat(), "record": record_to_json(record)}, ensure_ascii=False
    )
    with _locked(path), open(path, "a", encoding="utf-8") as spool:
        spool.write(line + "\n")
        spool.flush()
        os.fsync(spool.fileno())


def replay_spool(path: Path, store: Callable[[LeadRecord], object]) -> int:
    """Store every spooled lead with `store`; keep those that fail. Returns how many were stored.

    A line that cannot be read (a torn write) is moved to `<spool>.bad` for a person to look at.
    """
    if not path.exists():
        return 0
    stored = 0
    with _locked(path):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not lines:
            return 0
        remaining: list[str] = []
        for line in lines:
            try:
                record = record_from_json(json.loads(line)["record"])
            except (ValueError, KeyError, TypeError):
                logger.error("ALERT unreadable line in the lead spool %s; moved to %s.bad", path, path.name)
                with open(path.with_name(path.name + ".bad"), "a", encoding="utf-8") as bad:
                    bad.write(line + "\n")
                continue
            try:
                store(record)
            except Exception as error:  # still down: keep it for the next round
                logger.warning("spooled lead of conversation %s not stored yet: %s", record.conversation_id, error)
                remaining.append(line)
                continue
            stored += 1
            logger.info("stored the spooled lead of conversation %s", record.conversation_id)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text("".join(line + "\n" for line in remaining), encoding="utf-8")
        os.replace(temporary, path)
    return stored


def spooled_count(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
