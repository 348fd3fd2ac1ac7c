"""The rep console's pages and JSON API, served by the demo web server (integrations/web/server.py).

Every path under /console but the sign-in page needs a signed-in rep: a page answers 303 to
/console/login, an API call 401. Requests that change something (sign-in, sign-out, take, hand
back, send, claim) need a CSRF token: the sign-in form's comes in a cookie and a hidden field, the API's
in the `X-CSRF-Token` header. Answers carry their own Content-Security-Policy (own scripts, styles
and connections only; `frame-ancestors 'none'`) and `Cache-Control: no-store`.

    GET  /console                                  the console page
    GET  /console/api/conversations                live conversations, hot and human-requested first
    GET  /console/api/conversations/<id>?after=N   one conversation, its transcript from line N on
    POST /console/api/conversations/<id>/take      take it over (409 with the holder when taken)
    POST /console/api/conversations/<id>/release   hand it back to the bot
    POST /console/api/conversations/<id>/messages  {"text": ...}: say something to the visitor
    POST /console/api/conversations/<id>/claim     claim its hot lead (409 with who has it when another rep does)
"""

from __future__ import annotations

import html
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from integrations import settings
from integrations.console import claims, live, presence, takeovers
from integrations.console.accounts import check_password
from integrations.console.auth import Session, Sessions, Throttle, csrf_ok, delay
from integrations.console.rasa_api import RasaApi, RasaError
from integrations.leads.transcripts import TranscriptUnavailableError

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "/console/console.js": "application/javascript; charset=utf-8",
    "/console/console.css": "text/css; charset=utf-8",
}
SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"
MAX_TEXT_CHARS = 2000
MAX_BODY_BYTES = 16 * 1024
CONVERSATION_PATH = re.compile(r"^/console/api/conversations/([^/]+)(?:/(take|release|messages|claim))?$")
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any  # email.message.Message-like: .get(name)
    body: bytes
    client: str

    def cookie(self, name: str) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie") or "")
        except Exception:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None

    @property
    def https(self) -> bool:
        return (self.headers.get("X-Forwarded-Proto") or "").lower() == "https"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def _json(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json")


def _cookie(name: str, value: str, request: Request, max_age: int | None = None) -> tuple[str, str]:
    parts = [f"{name}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if request.https:
        parts.append("Secure")
    return ("Set-Cookie", "; ".join(parts))


def _wanted(request: Request) -> str:
    """`?conversation=<id>` of a "Join the chat" link, carried through the sign-in."""
    wanted = (request.query.get("conversation") or [""])[0][:255]
    return f"?conversation={quote(wanted, safe='')}" if wanted else ""


def _template(name: str) -> Template:
    return Template((STATIC / name).read_text(encoding="utf-8"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class Console:
    def __init__(self, now: Callable[[], datetime] | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.sleep = sleep
        self.sessions = Sessions(self.now)
        self.throttle = Throttle(self.now)

    # ---- configuration, read per request like the rest of the web server ----
    @staticmethod
    def config() -> settings.Settings:
        return settings.Settings.from_env()

    def rasa(self) -> RasaApi:
        config = self.config()
        return RasaApi(config.rasa_url, config.rasa_token)

    # ---- dispatch ----
    def handle(self, request: Request) -> Response:
        response = self._route(request)
        response.headers += [("Content-Security-Policy", CSP), ("Cache-Control", "no-store")]
        return response

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == "/console/console.css" and request.method == "GET":  # the sign-in page's styles too
            return Response(200, (STATIC / "console.css").read_bytes(), ASSETS[path])
        if path == "/console/login":
            if request.method == "POST":
                return self.sign_in(request)
            return self.login_page(request)
        session_token = request.cookie(SESSION_COOKIE)
        session = self.sessions.get(session_token)
        is_api = path.startswith("/console/api/")
        if session is None:
            if is_api or request.method != "GET":
                return _json(401, {"error": "sign in first"})
            return Response(303, headers=[("Location", "/console/login" + _wanted(request))])
        if request.method == "POST" and not csrf_ok(session, request.headers.get("X-CSRF-Token")):
            return _json(403, {"error": "missing or wrong CSRF token; reload the console"})
        if path == "/console/logout" and request.method == "POST":
            self.sessions.end(session_token)
            if session.username not in self.sessions.signed_in():  # no other tab or browser of this rep
                presence.signed_out(self.config().database_url, session.username)
            return Response(303, headers=[("Location", "/console/login"), _cookie(SESSION_COOKIE, "", request, 0)])
        if path == "/console" and request.method == "GET":
            return self.console_page(session)
        if path in ASSETS and request.method == "GET":
            return Response(200, (STATIC / path.rsplit("/", 1)[1]).read_bytes(), ASSETS[path])
        if path == "/console/api/conversations" and request.method == "GET":
            return self.list_conversations(session)
        match = CONVERSATION_PATH.match(path)
        if match:
            conversation_id, action = unquote(match.group(1)), match.group(2)
            if action is None and request.method == "GET":
                return self.conversation(session, conversation_id, request)
            if action is not None and request.method == "POST":
                return self.act(session, conversation_id, action, request)
        return _json(404, {"error": "no such page"})

    # ---- signing in ----
    def login_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        page = _template("login.html").substitute(token=token, message=message, wanted=html.escape(_wanted(request)))
        return Response(status, page.encode(), "text/html; charset=utf-8", [_cookie(LOGIN_COOKIE, token, request)])

    def sign_in(self, request: Request) -> Response:
        form = parse_qs(request.body[:MAX_BODY_BYTES].decode("utf-8", "replace"))
        username = (form.get("username") or [""])[0].strip().lower()[:64]
        password = (form.get("password") or [""])[0][:1024]
        sent, expected = (form.get("csrf") or [""])[0], request.cookie(LOGIN_COOKIE) or ""
        if not expected or not secrets.compare_digest(sent, expected):
            return self.login_page(request, "The form expired. Please sign in again.", 403)
        keys = (f"user:{username}", f"ip:{request.client}")
        if self.throttle.locked(*keys):
            response = self.login_page(request, "Too many wrong passwords. Try again later.", 429)
            response.headers.append(("Retry-After", str(self.throttle.retry_after(*keys))))
            return response
        self.sleep(delay(self.throttle.failures(*keys)))
        account = check_password(self.config().reps_file, username, password)
        if account is None:
            self.throttle.failed(*keys)
            return self.login_page(request, "Wrong username or password.", 401)
        self.throttle.succeeded(*keys)
        token, _ = self.sessions.start(account.username)
        max_age = int(timedelta(hours=10).total_seconds())
        return Response(
            303,
            headers=[
                ("Location", "/console" + _wanted(request)),
                _cookie(SESSION_COOKIE, token, request, max_age),
                _cookie(LOGIN_COOKIE, "", request, 0),
            ],
        )

    # ---- the page ----
    def _rep_name(self, session: Session) -> str:
        from integrations.console.accounts import accounts

        account = accounts(self.config().reps_file).get(session.username)
        return account.name if account else session.username

    def console_page(self, session: Session) -> Response:
        name = html.escape(self._rep_name(session))
        page = _template("console.html").substitute(
            csrf=html.escape(session.csrf), username=html.escape(session.username), name=name, max_chars=MAX_TEXT_CHARS
        )
        return Response(200, page.encode(), "text/html; charset=utf-8")

    # ---- the API ----
    def _summary(self, conversation: live.Conversation, holder: Any, requested: bool) -> dict[str, Any]:
        slots = conversation.slots
        return {
            "id": conversation.id,
            "last_at": _iso(conversation.last_at),
            "stage": slots.get("lead_stage"),
            "score": slots.get("lead_score"),
            "temperature": slots.get("lead_temperature"),
            "page_url": conversation.page_url,
            "answers": conversation.answers,
            "form": conversation.active_form,
            "paused": conversation.paused,
            "human_requested": requested,
            "holder": {"rep": holder.rep, "name": holder.rep_name, "since": _iso(holder.taken_at)} if holder else None,
            "last_line": conversation.lines[-1].text[:120] if conversation.lines else "",
        }

    def list_conversations(self, session: Session) -> Response:
        config = self.config()
        now = self.now()
        takeovers.seen(config.database_url, session.username, now)
        holders = takeovers.open_takeovers(config.database_url)
        try:
            window = timedelta(minutes=settings.lenient_integer("CONSOLE_LIVE_MINUTES"))
            ids = live.recent_ids(config.tracker_db_url, now, window) | set(holders)
            found = live.conversations(config.tracker_db_url, ids)
        except TranscriptUnavailableError as error:
            return _json(503, {"error": str(error)})
        requested = takeovers.human_requested(config.database_url, found)
        rows = [self._summary(found[key], holders.get(key), key in requested) for key in found]
        rows.sort(key=lambda row: row["last_at"] or "", reverse=True)
        rows.sort(key=lambda row: (row["temperature"] != "hot", not row["human_requested"]))
        return _json(200, {"conversations": rows, "me": session.username})

    def conversation(self, session: Session, conversation_id: str, request: Request) -> Response:
        config = self.config()
        try:
            after = max(0, int((request.query.get("after") or ["0"])[0]))
        except ValueError:
            after = 0
        try:
            found = live.conversations(config.tracker_db_url, [conversation_id]).get(conversation_id)
        except TranscriptUnavailableError as error:
            return _json(503, {"error": str(error)})
        if found is None:
            return _json(404, {"error": "no such conversation"})
        holder = takeovers.open_takeover(config.database_url, conversation_id)
        requested = conversation_id in takeovers.human_requested(config.database_url, [conversation_id])
        lines = [
            {
                "speaker": line.speaker,
                "rep": line.rep,
                "text": line.text,
                "at": _iso(line.at),
                "buttons": list(line.buttons),
            }
            for line in found.lines[after:]
        ]
        lead = claims.lead_summary(config.database_url, conversation_id)
        summary = self._summary(found, holder, requested)
        return _json(200, {**summary, "lead": lead, "lines": lines, "total": len(found.lines)})

    def claim(self, session: Session, conversation_id: str) -> Response:
        """Claim the conversation's hot lead for the signed-in rep: the leads CLI's and Slack's claim."""
        outcome = claims.claim(self.config().database_url, conversation_id, self._rep_name(session), self.now())
        if outcome.status == 200:
            return _json(200, {"claimed": True, "message": outcome.message, "claimed_by": outcome.claimed_by})
        return _json(outcome.status, {"error": outcome.message, "claimed_by": outcome.claimed_by})

    def act(self, session: Session, conversation_id: str, action: str, request: Request) -> Response:
        if action == "claim":  # claiming a lead needs no takeover of the chat
            return self.claim(session, conversation_id)
        config = self.config()
        rasa = self.rasa()
        name = self._rep_name(session)
        try:
            if action == "take":
                if conversation_id not in live.conversations(config.tracker_db_url, [conversation_id]):
                    return _json(404, {"error": "no such conversation"})
                try:
                    takeovers.take(config.database_url, conversation_id, session.username, name, self.now())
                except takeovers.TakenError as taken:
                    return _json(
                        409, {"error": str(taken), "holder": {"rep": taken.holder.rep, "name": taken.holder.rep_name}}
                    )
                try:
                    rasa.pause(conversation_id)
                except RasaError:
                    takeovers.release(config.database_url, conversation_id, session.username, self.now())
                    raise
                return _json(200, {"taken": True})
            holder = takeovers.open_takeover(config.database_url, conversation_id)
            if holder is None or holder.rep != session.username:
                who = holder.rep_name if holder else "nobody"
                return _json(409, {"error": f"take the conversation over first ({who} has it)"})
            if action == "release":
                asked = rasa.resume(conversation_id)
                takeovers.release(config.database_url, conversation_id, session.username, self.now())
                return _json(200, {"released": True, "asked_again": asked})
            try:
                body = json.loads(request.body[:MAX_BODY_BYTES] or b"{}")
            except ValueError:
                body = None
            text = body.get("text") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text.strip():
                return _json(400, {"error": "type a message first"})
            if len(text) > MAX_TEXT_CHARS:
                return _json(413, {"error": f"messages are at most {MAX_TEXT_CHARS} characters"})
            message_id = rasa.say(conversation_id, session.username, name, text.strip())
            return _json(200, {"sent": True, "id": message_id})
        except RasaError as error:
            return _json(502, {"error": f"the chat server did not take it: {error}"})
        except TranscriptUnavailableError as error:
            return _json(503, {"error": str(error)})
