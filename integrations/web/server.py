"""The demo landing page with the chat widget: `python -m integrations.web.server --port 8080`.

Every answer carries a Content-Security-Policy that lets the page run only its own scripts and
talk only to itself and the Rasa server (HTTP and WebSocket), and that no site may frame it
(`frame-ancestors 'none'`, and X-Frame-Options for older browsers); Referrer-Policy keeps the
page's query string (UTM parameters) from other sites. Directories are never listed (404), and
`Server:` names no Python version. Styles may be inline: the widget puts its own stylesheet in
its shadow root.

`/transcripts/<token>` shows a rep the conversation behind a signed, expiring link from their
notification (integrations/leads/transcript_links.py); any bad or expired link is a 404.

`/console` is the rep console (integrations/console/app.py, docs/console.md): its own sign-in,
sessions and Content-Security-Policy.
"""

from __future__ import annotations

import argparse
import functools
import json
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from integrations.settings import Settings, load_env

STATIC_DIR = Path(__file__).resolve().parent / "static"
TRANSCRIPT_PREFIX = "/transcripts/"
CONSOLE_PREFIX = "/console"
MAX_POST_BYTES = 64 * 1024


@functools.lru_cache(maxsize=1)
def console():  # one per process: it holds the reps' sessions
    from integrations.console.app import Console

    return Console()


SLACK_INTERACTIONS = "/slack/interactions"  # the Claim button (integrations/web/slack_actions.py)
MEETING_PREFIX = "/meetings/"  # the visitor's reschedule/cancel page (integrations/web/meetings.py)


def transcript_response(token: str) -> tuple[int, str]:
    """The transcript page for a link token, read with the lead store and tracker store of this stack."""
    from integrations.leads.transcript_links import transcript_page
    from integrations.leads.transcripts import tracker_url

    config = Settings.from_env()
    secret = config.transcript_link_secret or ""
    return transcript_page(config.database_url, tracker_url(), secret, token, datetime.now(timezone.utc))


def content_security_policy(rasa_url: str) -> str:
    """The demo page's CSP: its own scripts, connections to itself and to Rasa (http and ws), no framing."""
    parts = urlsplit(rasa_url)
    websocket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            f"connect-src 'self' {parts.scheme}://{parts.netloc} {websocket}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class DemoPageHandler(SimpleHTTPRequestHandler):
    rasa_url = "http://localhost:5005"
    server_version = "leadbot-demo"
    sys_version = ""  # `Server:` without "Python/3.10.x"

    own_csp: str | None = None  # set by an answer with its own Content-Security-Policy (the console)

    def handle_console(self, method: str) -> None:
        from integrations.console.app import Request

        parts = urlsplit(self.path)
        try:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_POST_BYTES) if method == "POST" else 0
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(method, parts.path, parse_qs(parts.query), self.headers, body, self.client_address[0])
        answer = console().handle(request)
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name == "Content-Security-Policy":
                self.own_csp = value
            else:
                self.send_header(name, value)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.own_csp = None
        self.wfile.write(answer.body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"):
            self.handle_console("GET")
            return
        if path.startswith(TRANSCRIPT_PREFIX):
            status, page = transcript_response(path[len(TRANSCRIPT_PREFIX) :])
            self.send_generated(status, "text/html; charset=utf-8", page)
            return
        if path.startswith(MEETING_PREFIX):
            self.send_meeting_page(path[len(MEETING_PREFIX) :], None)
            return
        if path == "/widget-config.js":
            config = f"window.LEADBOT_CONFIG = {json.dumps({'serverUrl': self.rasa_url})};\n"
            self.send_generated(200, "application/javascript; charset=utf-8", config)
            return
        super().do_GET()

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith(CONSOLE_PREFIX):
            self.handle_console("POST")
            return
        if path == SLACK_INTERACTIONS:
            self.send_slack_answer()
            return
        if not path.startswith(MEETING_PREFIX):
            self.send_error(405, "Method not allowed")
            return
        length = min(int(self.headers.get("Content-Length") or 0), 4096)
        self.send_meeting_page(path[len(MEETING_PREFIX) :], self.rfile.read(length) if length > 0 else b"")

    def send_slack_answer(self) -> None:
        from integrations.web.meetings import utc_now
        from integrations.web.slack_actions import MAX_BODY, interaction

        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self.send_generated(413 if length else 400, "application/json", '{"error": "body size"}')
            return
        body = self.rfile.read(length)
        status, answer = interaction(body, {key.lower(): value for key, value in self.headers.items()}, utc_now())
        self.send_generated(status, "application/json", json.dumps(answer))

    def send_meeting_page(self, token: str, form: bytes | None) -> None:
        from integrations.web.meetings import meeting_page, utc_now

        status, page = meeting_page(token, utc_now(), form)
        self.send_generated(status, "text/html; charset=utf-8", page)

    def send_generated(self, status: int, content_type: str, text: str) -> None:
        """An answer made for this request, never cached."""
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        """No directory listings (/vendor/ showed the files it holds)."""
        self.send_error(404, "Not found")
        return None

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", self.own_csp or content_security_policy(self.rasa_url))
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "strict-origin-when-cross-origin")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


def main() -> None:
    load_env()
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
