"""The dispatcher as a process: stores spooled leads and hand-offs, delivers due notifications every few
seconds, and runs the retention purge on its own schedule.

`python -m integrations.outbox.worker` runs until stopped; `--once` does one round and exits.
Leads and hand-off requests the action server could not store (database down past its retries) wait in
the spool (integrations/spool.py); each round stores them first, so their notifications go out in the
same round. With RETENTION_DAYS set, the purge of `scripts/leads purge` runs once every
PURGE_INTERVAL_HOURS (default 24) across all dispatchers (integrations/outbox/schedule.py). Hot leads
not claimed by their first-touch deadline are escalated each round (integrations/speed_to_lead.py).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import datetime, timedelta

from integrations import settings as config
from integrations.handoff import replay_spooled
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.registry import configured_channels
from integrations.outbox.schedule import run_if_due
from integrations.routing import load_policy as load_routing
from integrations.settings import Settings
from integrations.speed_to_lead import escalate_overdue
from integrations.store.leads import utcnow

logger = logging.getLogger("outbox.worker")
PURGE_JOB = "retention_purge"


def purge_interval() -> timedelta:
    return timedelta(hours=config.number("PURGE_INTERVAL_HOURS"))


def purge_if_due(settings: Settings, now: datetime) -> bool:
    """Run the retention purge when RETENTION_DAYS is set and it is this dispatcher's turn; True if it ran."""
    from integrations.leads import privacy
    from integrations.leads.cli import local_files

    if not config.value("RETENTION_DAYS"):
        return False

    def job() -> None:
        outcome = privacy.purge(
            settings.database_url,
            settings.tracker_db_url,
            privacy.retention_days(),
            now,
            apply=True,
            files=local_files(),
        )
        logger.info("retention purge: %s", privacy.report(outcome, "past retention", applied=True).replace("\n", ";"))

    return run_if_due(settings.database_url, PURGE_JOB, purge_interval(), now, job)


def one_round(settings: Settings, channels: dict, now: datetime | None = None) -> None:
    names = list(channels)
    try:
        replay_spooled(settings, names)
    except Exception:
        logger.exception("replaying the spool failed; trying again")
    try:  # hot leads nobody claimed in time: re-routed and announced before this round's deliveries
        escalate_overdue(settings.database_url, load_routing(settings.reps_file), names, now or utcnow())
    except Exception:
        logger.exception("ALERT escalating unclaimed hot leads failed; trying again next round")
    try:
        report = dispatch_due(settings.database_url, channels)
        if report.sent or report.retried or report.dead:
            logger.info("sent %s, retrying %s, dead %s", report.sent, report.retried, report.dead)
    except Exception:
        logger.exception("dispatch round failed; trying again")
    try:
        purge_if_due(settings, now or utcnow())
    except Exception:
        logger.exception("ALERT the retention purge failed; trying again next round")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while True:
        # per round, so a manager webhook added to reps.yml counts from the next round (remote channels are cached)
        one_round(settings, configured_channels(settings.outbox_log))
        if args.once or stop.wait(args.interval):
            return


if __name__ == "__main__":
    main()
