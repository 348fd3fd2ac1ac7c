"""Local HTTP servers that behave like Slack, a Standard Webhooks receiver, HubSpot and Salesforce.

Each fake checks a request the way its service does (and answers with that service's error when the
request is wrong): Slack's blocks with slack-sdk's Block Kit models, webhooks with the Standard Webhooks
reference library (both through tests/support/receivers.py), never with the code under test. A test can
script what comes next for a valid request: an error status, a slow answer, a dropped connection or a
malformed body. No part of `requests` is patched.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from standardwebhooks import WebhookVerificationError

from integrations.store.models import Notification
from tests.support.receivers import slack_message_problem, verify_webhook

TIMEOUT = (0.5, 0.5)  # short, so the slow-answer tests stay quick
SLOW_SECONDS = 1.5
SLACK_PATH = "/services/T0001/B0002/abcdefghijklmnop"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HUBSPOT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
SALESFORCE_OID = "00D000000000001"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    # what the service stores when it processes the request; run only if the answer is a success
    commit: Callable[[], Any] | None = None


DROP = "drop"  # close the connection without answering
GARBAGE = "garbage"  # answer with bytes that are not HTTP


@dataclass
class Request:
    method: str
    path: str
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode("utf-8"), strict_parsing=True).items()}


Behaviour = Reply | str
Validator = Callable[[Request], Reply]


class FakeService:
    """A ThreadingHTTPServer on 127.0.0.1 with a port of its own."""

    def __init__(self, validate: Validator) -> None:
        self.validate = validate
        self.requests: list[Request] = []
        self.script: deque[Behaviour] = deque()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def then(self, *behaviours: Behaviour) -> FakeService:
        """What the next valid requests get, in order; after that the service answers normally."""
        self.script.extend(behaviours)
        return self

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=2)

    def _decide(self, request: Request) -> Behaviour:
        with self._lock:
            self.requests.append(request)
            verdict = self.validate(request)
            if verdict.status >= 400:
                return verdict  # a wrong request is rejected whatever the script says
            behaviour = self.script.popleft() if self.script else verdict
            # a failing answer means the request was not processed; a slow success means it was, late
            if isinstance(behaviour, Reply) and behaviour.status < 300 and verdict.commit:
                verdict.commit()
            return behaviour

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like the real services

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request("POST", self.path, self.headers, self.rfile.read(length))
                behaviour = service._decide(request)
                if behaviour == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if behaviour == GARBAGE:
                    self.close_connection = True
                    self.wfile.write(b"this is not HTTP\r\n\r\n")
                    return
                assert isinstance(behaviour, Reply)
                if behaviour.delay and service.stopping.wait(behaviour.delay):
                    return
                body = behaviour.body.encode("utf-8") if isinstance(behaviour.body, str) else behaviour.body
                try:
                    self.send_response(behaviour.status)
                    for name, value in behaviour.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True  # the client gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# --- Slack incoming webhook ------------------------------------------------------------------------------------------


def slack_validator(request: Request) -> Reply:
    """What hooks.slack.com checks before posting: the webhook exists, the body is JSON, the blocks are valid
    (slack-sdk's Block Kit models: every block parsed with `Block.parse` and validated)."""
    if request.path != SLACK_PATH:
        return Reply(404, "no_service", {"Content-Type": "text/html"})
    if not (request.headers.get("Content-Type") or "").startswith("application/json"):
        return Reply(400, "invalid_payload", {"Content-Type": "text/html"})
    try:
        message = request.json()
    except ValueError:
        return Reply(400, "invalid_payload", {"Content-Type": "text/html"})
    problem = slack_message_problem(message)
    if problem:
        # Slack answers with the bare error name; the reason is kept for the test that wants to see it
        return Reply(400, problem.split(":")[0], {"Content-Type": "text/html", "X-Fake-Reason": problem})
    return Reply(200, "ok", {"Content-Type": "text/html"})


# --- Standard Webhooks receiver --------------------------------------------------------------------------------------


class WebhookReceiver:
    """A receiver that verifies every message with the Standard Webhooks reference library (`standardwebhooks`,
    as a receiver's own code would) and drops duplicates by webhook-id."""

    def __init__(self) -> None:
        self.events: dict[str, Any] = {}

    def __call__(self, request: Request) -> Reply:
        if request.path != "/hooks/leads":
            return Reply(404, '{"error":"not found"}', {"Content-Type": "application/json"})
        try:
            event = verify_webhook(WEBHOOK_SECRET, dict(request.headers.items()), request.body)
        except (WebhookVerificationError, ValueError) as error:
            return Reply(401, json.dumps({"error": str(error)}), {"Content-Type": "application/json"})
        if set(event) != {"type", "timestamp", "data"}:
            return Reply(400, '{"error":"bad event"}', {"Content-Type": "application/json"})
        message_id = request.headers["webhook-id"]
        return Reply(204, commit=lambda: self.events.setdefault(message_id, event))


# --- HubSpot CRM v3 --------------------------------------------------------------------------------------------------

HUBSPOT_PROPERTIES = {
    "email",
    "firstname",
    "lastname",
    "company",
    "phone",
    "lead_stage",
    "lead_score",
    "lead_temperature",
    "bant_need",
    "bant_authority",
    "bant_budget",
    "bant_timeline",
    "lead_source_page",
    "lead_transcript_url",
}


class HubSpot:
    """The batch upsert endpoint: bearer token, body shape, known properties; contacts kept by email."""

    def __init__(self, created_properties: tuple[str, ...] = ()) -> None:
        self.contacts: dict[str, dict[str, str]] = {}
        self.properties = HUBSPOT_PROPERTIES | set(created_properties)  # custom properties made in the account

    def __call__(self, request: Request) -> Reply:
        if request.path != "/crm/v3/objects/contacts/batch/upsert":
            return _hubspot_error(404, "Unable to infer object type from: batch", "OBJECT_NOT_FOUND")
        if request.headers.get("Authorization") != f"Bearer {HUBSPOT_TOKEN}":
            return _hubspot_error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                "INVALID_AUTHENTICATION",
            )
        try:
            inputs = request.json()["inputs"]
            [item] = inputs
            assert item["idProperty"] == "email" and item["id"] == item["properties"]["email"]
            properties = item["properties"]
            assert all(isinstance(value, str) for value in properties.values())
        except (ValueError, KeyError, TypeError, AssertionError):
            return _hubspot_error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        unknown = sorted(set(properties) - self.properties)
        if unknown:
            return _hubspot_error(
                400, f"Property values were not valid: PROPERTY_DOESNT_EXIST {unknown}", "VALIDATION_ERROR"
            )
        email = item["id"]
        existing = self.contacts.get(email)
        merged = {**(existing or {"hs_object_id": str(100 + len(self.contacts))}), **properties}
        now = datetime.now(timezone.utc).isoformat()
        result = {"id": merged["hs_object_id"], "properties": merged, "new": existing is None, "updatedAt": now}
        answer = {"status": "COMPLETE", "results": [result], "startedAt": now, "completedAt": now}
        return Reply(
            200,
            json.dumps(answer),
            {"Content-Type": "application/json;charset=utf-8"},
            commit=lambda: self.contacts.__setitem__(email, merged),
        )


def _hubspot_error(status: int, message: str, category: str) -> Reply:
    body = {"status": "error", "message": message, "correlationId": "0b1c2d3e", "category": category}
    return Reply(status, json.dumps(body), {"Content-Type": "application/json;charset=utf-8"})


# --- Salesforce Web-to-Lead ------------------------------------------------------------------------------------------


class WebToLead:
    """Answers 200 to everything, like Salesforce; creates a lead only when the form is acceptable."""

    def __init__(self) -> None:
        self.leads: list[dict[str, str]] = []
        self.rejected: list[str] = []

    def __call__(self, request: Request) -> Reply:
        parts = urlsplit(request.path)
        if parts.path != "/servlet/servlet.WebToLead":
            return Reply(404, "<html><head><title>Error Page</title></head></html>", {"Content-Type": "text/html"})
        page = "<html><head><meta http-equiv='Refresh' content='0'></head></html>"
        if request.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return Reply(200, page, {"Content-Type": "text/html"}, commit=lambda: self.rejected.append("not a form"))
        form = request.form()
        if form.get("oid") != SALESFORCE_OID:
            outcome = lambda: self.rejected.append("unknown organisation")  # noqa: E731
        elif not form.get("last_name") or not form.get("company"):
            outcome = lambda: self.rejected.append("required field missing")  # noqa: E731
        else:
            outcome = lambda: self.leads.append(form)  # noqa: E731
        return Reply(200, page, {"Content-Type": "text/html"}, commit=outcome)


# --- notifications ---------------------------------------------------------------------------------------------------

COMPANY_SIZE = {"question": "company_size", "label": "Company size", "category": "large", "text": "201+"}

NASTY = "<script>alert(1)</script> <@U123> <!channel> <https://evil.example|click> & more"


def lead_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "lead_id": 7,
        "name": "Maria López",
        "company": "Globex Inc.",
        "email": "maria.lopez@globex.com",
        "email_is_freemail": False,
        "phone": "+14155552671",
        "score": 100,
        "stage": "SQL",
        "temperature": "hot",
        "answers": [
            {"question": "need", "label": "Need", "category": "defined", "text": "our SDRs waste hours on junk leads"},
            {
                "question": "authority",
                "label": "Authority",
                "category": "decision_maker",
                "text": "I'm the VP of sales",
            },
            {
                "question": "budget",
                "label": "Budget",
                "category": "allocated",
                "text": "we have $40k set aside",
                "details": {"amount": 40000.0, "currency": "USD", "period": None},
            },
            {"question": "timeline", "label": "Timeline", "category": "immediate", "text": "asap, within two weeks"},
        ],
        "reasons": ["need: defined (+25)", "stage SQL: score 100 >= 75"],
        "source": {"page_url": "https://acme.example/pricing?utm_source=newsletter", "utm_source": "newsletter"},
        "transcript_url": "http://localhost:5005/conversations/c-1/story",
        "follow_up_by": "2026-11-26T15:02:11+00:00",
        "text": "HOT lead (SQL, score 100): Maria López at Globex Inc.",
        "rep": {"name": "Dana Whitfield", "email": "dana@acme.example", "slack": "U01DANA0001", "booking_link": None},
    }
    payload.update(overrides)
    return payload


def handoff_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "request": "Visitor asked to talk to a human",
        "text": "Visitor asked to talk to a human: Ana at Acme",
        "name": "Ana",
        "email": "ana@acme.io",
        "company": "Acme",
        "phone": None,
        "answers": [
            {"question": "need", "label": "Need", "category": "defined", "text": None},
            {"question": "authority", "label": "Authority", "category": None, "text": None},
            {"question": "budget", "label": "Budget", "category": None, "text": None},
            {"question": "timeline", "label": "Timeline", "category": None, "text": None},
        ],
        "source": {"page_url": "https://acme.example/"},
        "transcript": [
            {"from": "visitor", "text": "hi"},
            {"from": "bot", "text": "Hello! What brings you here?"},
            {"from": "visitor", "text": "can I talk to a person?"},
        ],
        "transcript_url": "http://localhost:5005/conversations/c-2/story",
    }
    payload.update(overrides)
    return payload


def notification(kind: str = "sql_lead", channel: str = "test", **payload: Any) -> Notification:
    """A notification in memory, as the dispatcher hands it to a channel."""
    body = lead_payload(**payload) if kind == "sql_lead" else handoff_payload(**payload)
    subject = "lead-7" if kind == "sql_lead" else "c-2:12"
    return Notification(
        id=1,
        lead_id=7 if kind == "sql_lead" else None,
        conversation_id="c-1",
        kind=kind,
        channel=channel,
        idempotency_key=f"{kind}:{subject}:{channel}",
        payload=body,
        status="pending",
        attempts=0,
        created_at=datetime(2026, 11, 26, 11, 2, 11, tzinfo=timezone.utc),
        next_attempt_at=datetime(2026, 11, 26, 11, 2, 11, tzinfo=timezone.utc),
    )
