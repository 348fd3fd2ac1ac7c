"""The dispatcher as a process: delivers due notifications every few seconds.

`python -m integrations.outbox.worker` runs until stopped; `--once` delivers what is due and exits.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from bot.actions.settings import Settings
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.registry import configured_channels

logger = logging.getLogger("outbox.worker")


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
            report = dispatch_due(settings.database_url, channels)
            if report.sent or report.retried or report.dead:
                logger.info("sent %s, retrying %s, dead %s", report.sent, report.retried, report.dead)
        except Exception:
            logger.exception("dispatch round failed; trying again")
        if args.once or stop.wait(args.interval):
            return


if __name__ == "__main__":
    main()
