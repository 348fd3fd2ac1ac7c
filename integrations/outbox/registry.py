"""Which channels are enabled: the local log always; real channels when `.env` configures them."""

from __future__ import annotations

from pathlib import Path

from integrations.outbox.channels.base import Channel
from integrations.outbox.channels.local_log import LocalLogChannel


def configured_channels(outbox_log: Path) -> dict[str, Channel]:
    return {"local_log": LocalLogChannel(outbox_log)}
