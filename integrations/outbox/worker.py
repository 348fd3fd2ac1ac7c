"""The dispatcher as a process: stores spooled leads and delivers due notifications every few seconds.

`python -m integrations.outbox.worker` runs until stopped; `--once` does one round and exits.
Leads the action server could not store (database down past its retries) wait in the lead spool
(integrations/spool.py); each round stores them first, so their notifications go out in the same round.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from tenacity import stop_after_attempt

from bot.actions.settings import Settings
from integrations.handoff import store_lead
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.registry import configured_channels
from integrations.routing import load_policy as load_routing
from integrations.spool import replay_spool
from integrations.store.leads import LeadRecord

logger = logging.getLogger("outbox.worker")


def store_spooled(settings: Settings, channels: list[str], record: LeadRecord) -> None:
    """One attempt (no retries: the next round is the retry) to store a spooled lead."""
    once = store_lead.retry_with(stop=stop_after_attempt(1))
    once(
        settings.database_url,
        record,
        transcript_url=settings.transcript_url,
        channels=channels,
        routing=load_routing(settings.reps_file),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    channels = configured_channels(settings.outbox_log)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while True:
        try:
            replay_spool(settings.lead_spool, lambda record: store_spooled(settings, list(channels), record))
        except Exception:
            logger.exception("replaying the lead spool failed; trying again")
        try:
            report = dispatch_due(settings.database_url, channels)
            if report.sent or report.retried or report.dead:
                logger.info("sent %s, retrying %s, dead %s", report.sent, report.retried, report.dead)
        except Exception:
            logger.exception("dispatch round failed; trying again")
        if args.once or stop.wait(args.interval):
            return


if __name__ == "__main__":
    main()
