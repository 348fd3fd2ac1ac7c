"""ALLOWED_ORIGINS at nginx's public port: pages of listed origins reach the chat channels, others get 403.

nginx refuses before Rasa (which checks the same list again: CORS and the socketio channel's
origin check), on long-polling, WebSocket and the REST channel alike.
"""

from __future__ import annotations

import pytest
import requests
import websocket

from integrations.runtime.production import ProductionStack
from tests.production.conftest import SITE_ORIGIN

UNLISTED = ("http://evil.example", "http://127.0.0.2:18099")


def public(production: ProductionStack) -> str:
    return f"127.0.0.1:{production.config.public_port}"


def polling(production: ProductionStack, origin: str) -> requests.Response:
    url = f"http://{public(production)}/socket.io/?EIO=4&transport=polling"
    return requests.get(url, headers={"Origin": origin}, timeout=30)


def open_websocket(production: ProductionStack, origin: str) -> str:
    """The first engineio packet over a WebSocket opened with this Origin header."""
    url = f"ws://{public(production)}/socket.io/?EIO=4&transport=websocket"
    connection = websocket.create_connection(url, origin=origin, timeout=30)
    try:
        return connection.recv()
    finally:
        connection.close()


def test_listed_origins_reach_the_socketio_channel(production: ProductionStack) -> None:
    for origin in (SITE_ORIGIN, *production.config.allowed_origins):
        answer = polling(production, origin)
        assert answer.status_code == 200 and answer.text.startswith("0{"), (origin, answer.status_code, answer.text)
        assert answer.raw.headers.getlist("Access-Control-Allow-Origin") == [origin]
        assert open_websocket(production, origin).startswith("0{"), origin


@pytest.mark.parametrize("origin", UNLISTED)
def test_other_origins_are_refused_at_nginx(production: ProductionStack, origin: str) -> None:
    answer = polling(production, origin)
    assert answer.status_code == 403, (answer.status_code, answer.text)
    assert "nginx" in answer.text  # nginx's own error page: refused before any Rasa server
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        open_websocket(production, origin)
    assert refused.value.status_code == 403
    message = requests.post(
        f"http://{public(production)}/webhooks/rest/webhook",
        json={"sender": "origin-test", "message": "/greet"},
        headers={"Origin": origin},
        timeout=30,
    )
    assert message.status_code == 403
    assert "Access-Control-Allow-Origin" not in message.headers
