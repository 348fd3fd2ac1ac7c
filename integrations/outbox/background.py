"""Deliver right after a commit without holding up the visitor's turn.

The conversation turn only writes rows; a small thread pool in the action server process
sends them at once, and the dispatcher process retries whatever this misses.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.registry import configured_channels

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="outbox")


def deliver_soon(database_url: str, outbox_log: Path, conversation_id: str | None = None) -> Future:
    """Start delivering due notifications (of one conversation) in the background."""
    return _executor().submit(_deliver, database_url, outbox_log, conversation_id)


def _deliver(database_url: str, outbox_log: Path, conversation_id: str | None) -> None:
    try:
        dispatch_due(database_url, configured_channels(outbox_log), conversation_id=conversation_id)
    except Exception:
        logger.exception("background delivery failed; notifications stay pending")
