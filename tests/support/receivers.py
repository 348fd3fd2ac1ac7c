"""Local HTTP servers on 127.0.0.1 that stand in for Slack, a webhook receiver, HubSpot and
Salesforce in end-to-end tests and benchmarks. They record what arrives (with the time it
arrived) and can be "down" (nothing listening) until `start()` is called."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Receivers:
    """One server answering like each service on its own path."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, webhook_secret: str = "whsec_dGVzdC1zZWNyZXQtZm9yLXdlYmhvb2tz") -> dict[str, str]:
        """Variables that point every channel of the assistant at these servers."""
        return {
            "SLACK_WEBHOOK_URL": f"{self.base}/slack",
            "WEBHOOK_URL": f"{self.base}/webhook",
            "WEBHOOK_SECRET": webhook_secret,
            "HUBSPOT_TOKEN": "test-token",
            "HUBSPOT_BASE_URL": f"{self.base}/hubspot",
            "SALESFORCE_OID": "00D000000000001",
            "SALESFORCE_WEB_TO_LEAD_URL": f"{self.base}/salesforce",
        }

    def start(self) -> Receivers:
        receivers = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receivers._lock:
                    receivers.received.append(Received(self.path, dict(self.headers), body, time.time()))
                status, reply, kind = receivers.answer(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def answer(self, path: str, body: bytes) -> tuple[int, bytes, str]:
        if path.startswith("/slack"):
            return 200, b"ok", "text/plain"
        if path.startswith("/hubspot"):
            inputs = json.loads(body).get("inputs", [])
            results = [
                {"id": str(index + 1), "properties": item.get("properties", {})} for index, item in enumerate(inputs)
            ]
            return 200, json.dumps({"status": "COMPLETE", "results": results}).encode(), "application/json"
        if path.startswith("/salesforce"):
            return 200, b"<html><head><title>Thank you</title></head></html>", "text/html"
        return 200, b'{"received": true}', "application/json"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def on(self, service: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.path.startswith(f"/{service}")]
