"""The demo landing page with the chat widget: `python -m integrations.web.server --port 8080`."""

from __future__ import annotations

import argparse
import functools
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"


class DemoPageHandler(SimpleHTTPRequestHandler):
    rasa_url = "http://localhost:5005"

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/widget-config.js":
            body = f"window.LEADBOT_CONFIG = {json.dumps({'serverUrl': self.rasa_url})};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    args = parser.parse_args()
    handler = functools.partial(DemoPageHandler, directory=str(STATIC_DIR))
    DemoPageHandler.rasa_url = args.rasa_url
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
