"""ALLOWED_ORIGINS: the web pages (scheme://host[:port]) that may talk to the chat from a browser.

One list, read from `.env` / the environment, is used for Rasa's CORS (`--cors`), for the socketio
channel's origin check (integrations/rasa/socketio_channel.py: python-engineio refuses polling and
WebSocket requests whose Origin header is not listed) and, in production mode, for nginx's public
listener (deploy/nginx.conf.template). Unset or empty means the demo page's own origins.

Standard library and the settings only: imported by integrations/runtime/stack.py (actions environment)
and by the channel inside Rasa's process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from integrations import settings

ENV_VAR = "ALLOWED_ORIGINS"
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
_ORIGIN = re.compile(rf"(?P<scheme>https?)://{_HOST}(?::(?P<port>[0-9]{{1,5}}))?")


class OriginError(ValueError):
    """An ALLOWED_ORIGINS entry that is not an origin; the message says which and how to write it."""


def normalize_origin(value: str) -> str:
    """`value` as a browser's Origin header spells it (lower case, no default port); OriginError if not one."""
    text = value.strip()
    match = _ORIGIN.fullmatch(text.lower())
    port = int(match["port"]) if match and match["port"] else None
    if match is None or (port is not None and not 0 < port < 65536):
        hint = ""
        if re.fullmatch(r"https?://[^/?#]+[/?#].*", text):
            hint = f"; leave out the path and the trailing slash: {text.split('/')[0]}//{text.split('/')[2]}"
        elif "://" not in text:
            hint = f"; add the scheme: https://{text}"
        raise OriginError(
            f"{ENV_VAR}: {value!r} is not an origin; write scheme://host[:port], "
            f"for example https://www.acme.example or http://localhost:8080{hint}"
        )
    origin = f"{match['scheme']}://{match['host']}"
    if port is not None and port != DEFAULT_PORTS[match["scheme"]]:
        origin += f":{port}"
    return origin


def parse_origins(value: str | None) -> tuple[str, ...]:
    """The comma-separated ALLOWED_ORIGINS value as normalized origins, without repeats; () when unset or empty."""
    origins: list[str] = []
    for part in (value or "").split(","):
        if part.strip() and (origin := normalize_origin(part)) not in origins:
            origins.append(origin)
    return tuple(origins)


def demo_origins(web_port: int) -> tuple[str, ...]:
    """The default: the demo page's own origins (integrations/web/server.py on WEB_PORT)."""
    return (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}")


def allowed_origins(env: dict[str, str] | None = None) -> tuple[str, ...]:
    """ALLOWED_ORIGINS from `env` (the settings by default), or the demo page's origins on WEB_PORT."""
    if env is None:
        return parse_origins(settings.value(ENV_VAR)) or demo_origins(settings.integer("WEB_PORT"))
    return parse_origins(env.get(ENV_VAR)) or demo_origins(int(env.get("WEB_PORT") or 8080))


def merge(*lists: Iterable[str]) -> tuple[str, ...]:
    """The origins of every list, in order, each once."""
    merged: list[str] = []
    for origins in lists:
        merged.extend(origin for origin in origins if origin not in merged)
    return tuple(merged)
