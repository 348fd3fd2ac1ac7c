"""A local spool for leads and hand-off requests the database would not take, replayed when it is back.

The lead store retries a locked or unreachable database for a few seconds (within the action
timeout, integrations/rasa/timeouts.py); a visitor should not wait longer, and the lead must not be
lost. So the action server appends the lead (or the "talk to a human" request) to a JSON-lines
file (one line each, written and fsynced under an exclusive lock), and the outbox worker
(integrations/outbox/worker.py) tries to store every spooled entry each round, keeping the ones
that still fail. A lead is stored by conversation and a hand-off by its request key, so a replay
never duplicates.

The spool holds personal data only while the database is down; it lives next to the databases
(`LEAD_SPOOL`, default var/lead-spool.jsonl) under the same protection.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from integrations.answers import answers_from_json, answers_to_json
from integrations.leads.local_files import locked as _locked  # shared with erasure, which rewrites the spool
from integrations.private_files import private_file, replace_private
from integrations.store.leads import LeadRecord

logger = logging.getLogger(__name__)


def record_to_json(record: LeadRecord) -> dict[str, Any]:
    values = asdict(record)
    values["answers"] = answers_to_json(record.answers)
    if record.follow_up_by is not None:
        values["follow_up_by"] = record.follow_up_by.isoformat()
    return values


# How a lead was spooled before its answers were data (revision 0004): one field per BANT question.
_SPOOLED_BEFORE_0004 = (("need", "Need"), ("authority", "Authority"), ("budget", "Budget"), ("timeline", "Timeline"))


def record_from_json(values: dict[str, Any]) -> LeadRecord:
    known = {item.name for item in fields(LeadRecord)}
    if "answers" not in values:
        values = {**values, "answers": _answers_spooled_before_0004(values)}
    values = {key: value for key, value in values.items() if key in known}
    values["answers"] = answers_from_json(values.get("answers"))
    if values.get("follow_up_by"):
        values["follow_up_by"] = datetime.fromisoformat(values["follow_up_by"])
    return LeadRecord(**values)


def _answers_spooled_before_0004(values: dict[str, Any]) -> list[dict[str, Any]]:
    """A lead spooled by the code before revision 0004 and stored by this code: none of its answers lost."""
    answers = []
    for key, label in _SPOOLED_BEFORE_0004:
        answer: dict[str, Any] = {"question": key, "label": label, "category": values.get(key)}
        answer["text"] = values.get(f"{key}_detail")
        if key == "budget" and values.get("budget_amount") is not None:
            answer["details"] = {name: values.get(f"budget_{name}") for name in ("amount", "currency", "period")}
        answers.append(answer)
    return answers


def _append(path: Path, entry: dict[str, Any]) -> None:
    line = json.dumps({"spooled_at": datetime.now(timezone.utc).isoformat(), **entry}, ensure_ascii=False)
    with _locked(path), open(private_file(path), "a", encoding="utf-8") as spool:
        spool.write(line + "\n")
        spool.flush()
        os.fsync(spool.fileno())


def spool_lead(path: Path, record: LeadRecord) -> None:
    """Append the lead to the spool, durably (fsync) before returning."""
    _append(path, {"record": record_to_json(record)})


def spool_handoff(path: Path, request: dict[str, Any]) -> None:
    """Append a hand-off request (the keyword arguments of store_handoff_request, JSON-safe) to the spool."""
    _append(path, {"handoff": request})


def spooled_handoff_since(path: Path, conversation_id: str, since: datetime) -> bool:
    """Whether the spool holds a hand-off of this conversation requested at `since` or later."""
    if not path.exists():
        return False
    with _locked(path):
        lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        try:
            request = json.loads(line).get("handoff") or {}
            if request.get("conversation_id") == conversation_id:
                if datetime.fromisoformat(request["requested_at"]) >= since:
                    return True
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return False


def replay_spool(
    path: Path,
    store: Callable[[LeadRecord], object],
    store_handoff: Callable[[dict[str, Any]], object] | None = None,
) -> int:
    """Store every spooled lead with `store` and hand-off with `store_handoff`; keep those that fail.

    Returns how many were stored. A line that cannot be read (a torn write) is moved to
    `<spool>.bad` for a person to look at.
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
                entry = json.loads(line)
                if "handoff" in entry and store_handoff is not None:
                    stored += _replay_handoff(entry["handoff"], store_handoff, line, remaining)
                    continue
                if "handoff" in entry:
                    remaining.append(line)  # this caller stores leads only
                    continue
                record = record_from_json(entry["record"])
            except (ValueError, KeyError, TypeError, AttributeError):
                logger.error("ALERT unreadable line in the lead spool %s; moved to %s.bad", path, path.name)
                with open(private_file(path.with_name(path.name + ".bad")), "a", encoding="utf-8") as bad:
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
        replace_private(path, "".join(line + "\n" for line in remaining))
    return stored


def spooled_count(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _replay_handoff(
    request: dict[str, Any], store_handoff: Callable[[dict[str, Any]], object], line: str, remaining: list[str]
) -> int:
    conversation_id = request["conversation_id"]
    try:
        store_handoff(request)
    except Exception as error:  # still down: keep it for the next round
        logger.warning("spooled hand-off of conversation %s not stored yet: %s", conversation_id, error)
        remaining.append(line)
        return 0
    logger.info("stored the spooled hand-off of conversation %s", conversation_id)
    return 1
