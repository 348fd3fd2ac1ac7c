"""The project's web server (integrations/web/server.py) in a thread on 127.0.0.1, for unit tests."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

from integrations.web.server import STATIC_DIR, DemoPageHandler


@contextmanager
def web_server() -> Iterator[str]:
    handler = functools.partial(DemoPageHandler, directory=str(STATIC_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
