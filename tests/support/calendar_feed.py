"""A free/busy calendar feed on 127.0.0.1: serves an ICS body (or an error) and counts the requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class CalendarFeed:
    body: bytes = b""
    status: int = 200
    requests: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def calendar_feed(body: bytes = b"") -> Iterator[CalendarFeed]:
    feed = CalendarFeed(body=body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with feed._lock:
                feed.requests += 1
            self.send_response(feed.status)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    feed.url = f"http://127.0.0.1:{server.server_address[1]}/dana/basic.ics"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def ics(*events: str) -> bytes:
    """A VCALENDAR around the given VEVENT/VFREEBUSY bodies (lines separated by newlines)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//leadbot tests//EN"]
    for event in events:
        lines += [line.strip() for line in event.strip().splitlines() if line.strip()]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()
