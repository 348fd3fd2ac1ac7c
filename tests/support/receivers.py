"""Local HTTP servers on 127.0.0.1 that stand in for Slack, a webhook receiver, HubSpot and
Salesforce in end-to-end tests and benchmarks. They record what arrives (with the time it
arrived) and can be "down" (nothing listening) until `start()` is called.

Slack messages and webhooks are checked with the services' own libraries, as the real receivers would:
Block Kit blocks with slack-sdk's block models (`slack_message_problem`), webhooks with the Standard
Webhooks reference library `standardwebhooks` (`verify_webhook`); the unit tests' fakes use the same two.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from standardwebhooks import Webhook, WebhookVerificationError

# Slack's limit on a whole message (https://api.slack.com/reference/block-kit/blocks); each block's own limits
# are slack-sdk's.
MAX_BLOCKS = 50
DEFAULT_WEBHOOK_SECRET = "whsec_dGVzdC1zZWNyZXQtZm9yLXdlYmhvb2tz"


def slack_message_problem(message: Any) -> str | None:
    """Why Slack would refuse this incoming-webhook message, or None: the error name Slack answers with
    (`no_text`, `invalid_blocks`) and, for blocks, slack-sdk's reason."""
    if not isinstance(message, dict) or not (message.get("text") or message.get("blocks")):
        return "no_text"
    blocks = message.get("blocks") or []
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return f"invalid_blocks: not a list of at most {MAX_BLOCKS} blocks"
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw) if isinstance(raw, dict) else None
            if block is None:
                return f"invalid_blocks: block {index} is of no type Block Kit knows"
            block.validate_json()
            understood = block.to_dict()  # validates every element and text object inside the block too
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as error:
            return f"invalid_blocks: block {index}: {error}"
        if understood != raw:
            return f"invalid_blocks: block {index} has fields Block Kit does not know"
    return None


def verify_webhook(secret: str, headers: dict[str, str], body: bytes) -> Any:
    """The event, checked as a receiver checks it: with the Standard Webhooks reference library (signature,
    and a timestamp within its 5 minutes); raises standardwebhooks.WebhookVerificationError."""
    return Webhook(secret).verify(body, dict(headers))


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
    rejected: list[tuple[Received, str]] = field(default_factory=list)  # and why (Slack's error, the verifier's)
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, webhook_secret: str | None = None) -> dict[str, str]:
        """Variables that point every channel of the assistant at these servers."""
        if webhook_secret is not None:
            self.webhook_secret = webhook_secret  # the receiver verifies with the secret it hands out
        return {
            "SLACK_WEBHOOK_URL": f"{self.base}/slack",
            "WEBHOOK_URL": f"{self.base}/webhook",
            "WEBHOOK_SECRET": self.webhook_secret,
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
                item = Received(self.path, dict(self.headers), body, time.time())
                problem = receivers.refusal(item)
                with receivers._lock:
                    if problem:
                        receivers.rejected.append((item, problem[1]))
                    else:
                        receivers.received.append(item)
                status, reply, kind = (
                    (problem[0], problem[1].encode(), "text/plain") if problem else receivers.answer(self.path, body)
                )
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

    def refusal(self, item: Received) -> tuple[int, str] | None:
        """The status and error with which Slack or a webhook receiver would refuse `item`, or None."""
        if item.path.startswith("/slack"):
            try:
                problem = slack_message_problem(item.json())
            except ValueError:
                problem = "invalid_payload"
            return (400, problem) if problem else None
        if item.path.startswith("/webhook"):
            try:
                verify_webhook(self.webhook_secret, item.headers, item.body)
            except WebhookVerificationError as error:
                return 401, f"webhook verification failed: {error}"
        return None

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
