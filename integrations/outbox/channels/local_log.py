"""The zero-configuration channel: notifications are appended to a local JSON-lines file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from integrations.leads.local_files import locked
from integrations.outbox.channels.base import DeliveryError
from integrations.private_files import private_file
from integrations.store.models import Notification

_write_lock = threading.Lock()


class LocalLogChannel:
    name = "local_log"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, notification: Notification) -> None:
        entry = {
            "idempotency_key": notification.idempotency_key,
            "kind": notification.kind,
            "conversation_id": notification.conversation_id,
            "lead_id": notification.lead_id,
            "created_at": notification.created_at.isoformat(),
            **notification.payload,
        }
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        try:
            # the file lock: erasure (leads erase) rewrites the log and must not lose a line appended meanwhile
            with _write_lock, locked(self.path), open(private_file(self.path), "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise DeliveryError(f"cannot write {self.path}: {error}") from error
