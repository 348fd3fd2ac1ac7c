"""Erasure in the local JSON-lines files: the outbox log (OUTBOX_LOG) and the lead spool (LEAD_SPOOL).

Lines of the person's notifications (or spooled leads and hand-offs) are removed; other lines that
mention the person's email or phone number have those replaced (integrations/leads/mentions.py).
The file is rewritten under the same lock its writers take, then swapped in atomically.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integrations.leads.mentions import Identifiers, redact
from integrations.private_files import replace_private


@dataclass(frozen=True)
class Scrubbed:
    removed: int = 0
    redacted: int = 0

    def __add__(self, other: Scrubbed) -> Scrubbed:
        return Scrubbed(self.removed + other.removed, self.redacted + other.redacted)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """The exclusive lock of a JSON-lines file, held by every process that appends to or rewrites it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def scrub_jsonl(
    path: Path, belongs: Callable[[dict[str, Any]], bool], identifiers: Identifiers, *, apply: bool
) -> Scrubbed:
    """Remove the lines whose entry `belongs` to the person and redact mentions in the others."""
    if not path.exists():
        return Scrubbed()
    with locked(path):
        kept: list[str] = []
        removed = redacted = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = line  # a torn line is still searched as text
            if isinstance(entry, dict) and belongs(entry):
                removed += 1
                continue
            new, count = redact(entry, identifiers)
            if count:
                redacted += 1
                line = new if isinstance(new, str) else json.dumps(new, ensure_ascii=False, default=str)
            kept.append(line)
        if apply and (removed or redacted):
            replace_private(path, "".join(item + "\n" for item in kept))
    return Scrubbed(removed, redacted)
