"""HTTP plumbing shared by the remote channels: sessions, timeouts, and which failures are worth retrying.

The dispatcher only understands DeliveryError, so every way an HTTP call can go wrong ends here as one:
network trouble and overloaded receivers are retried, answers that will never change are permanent.
Messages never contain the URL, because some URLs (Slack's) are themselves the secret.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from integrations import settings
from integrations.outbox.channels.base import DeliveryError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0
# A receiver asking for more than an hour is misbehaving; the dispatcher's backoff takes over after that.
MAX_RETRY_AFTER_SECONDS = 3600.0
USER_AGENT = "lead-qualification-assistant/0.1 (outbox)"
# 4xx answers that mean "not now" rather than "never".
RETRYABLE_4XX = frozenset({408, 429})

Timeout = tuple[float, float]


def timeout_from_env(env: Mapping[str, str] | None = None) -> Timeout:
    """(connect, read) seconds from CHANNEL_TIMEOUT_SECONDS; a bad value falls back to the default."""
    raw = (
        env.get("CHANNEL_TIMEOUT_SECONDS", "") if env is not None else settings.value("CHANNEL_TIMEOUT_SECONDS")
    ).strip()
    seconds = DEFAULT_TIMEOUT_SECONDS
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds <= 0:
            logger.warning(
                "CHANNEL_TIMEOUT_SECONDS=%r is not a positive number; using %s", raw, DEFAULT_TIMEOUT_SECONDS
            )
            seconds = DEFAULT_TIMEOUT_SECONDS
    return (seconds, seconds)


def new_session() -> requests.Session:
    """One session per channel, so connections to its receiver are kept alive between notifications."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def post(session: requests.Session, url: str, *, service: str, timeout: Timeout, **kwargs: Any) -> requests.Response:
    """POST without following redirects (they would turn the POST into a GET); failures become DeliveryError."""
    try:
        return session.post(url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.exceptions.Timeout as error:
        kind = "connecting" if isinstance(error, requests.exceptions.ConnectTimeout) else "answering"
        raise DeliveryError(f"{service}: timed out {kind} after {timeout[1]:g} s") from None
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ) as error:
        raise DeliveryError(
            f"{service}: the configured URL is unusable ({type(error).__name__})", permanent=True
        ) from None
    except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidJSONError) as error:
        raise DeliveryError(f"{service}: cannot encode the request ({error})", permanent=True) from None
    except requests.exceptions.ConnectionError as error:
        raise DeliveryError(f"{service}: connection refused, dropped or reset ({_root_cause(error)})") from None
    except requests.exceptions.RequestException as error:
        raise DeliveryError(f"{service}: request failed ({_root_cause(error)})") from None


@contextmanager
def delivery_errors(service: str) -> Iterator[None]:
    """Any other exception becomes a permanent DeliveryError (a dead letter to retry after a fix).

    The dispatcher only handles DeliveryError; anything else would abort its round and leave the
    notification first in line for ever, blocking every notification behind it.
    """
    try:
        yield
    except DeliveryError:
        raise
    except Exception as error:
        logger.exception("%s: unexpected error while delivering", service)
        raise DeliveryError(f"{service}: cannot deliver ({type(error).__name__}: {error})", permanent=True) from error


def raise_for_answer(
    response: requests.Response, service: str, *, retryable_4xx: Collection[int] = RETRYABLE_4XX
) -> None:
    """Accept 2xx; retry 5xx and the retryable 4xx (honouring Retry-After); everything else is permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"{service}: HTTP {status}"
    detail = describe_body(response)
    if detail:
        message += f" {detail}"
    if status >= 500 or status in retryable_4xx:
        raise DeliveryError(message, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if 300 <= status < 400:
        raise DeliveryError(f"{service}: unexpected redirect (HTTP {status}); check the configured URL", permanent=True)
    raise DeliveryError(message, permanent=True)


def describe_body(response: requests.Response, limit: int = 300) -> str:
    """A short, single-line excerpt of an error answer; the `message` field of a JSON error when there is one."""
    try:
        text = response.text
    except (requests.exceptions.RequestException, UnicodeDecodeError, LookupError):
        return ""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        text = data["message"]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _root_cause(error: BaseException) -> str:
    """The innermost exception's type name (RemoteDisconnected, ConnectionRefusedError, ...), without any URL."""
    seen: list[str] = [type(error).__name__]
    current: BaseException | None = error
    for _ in range(6):
        nested = getattr(current, "reason", None)
        if not isinstance(nested, BaseException):
            nested = next((arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)), None)
        if nested is None:
            break
        seen.append(type(nested).__name__)
        current = nested
    return seen[-1]
