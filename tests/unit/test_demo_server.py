"""The demo web server's headers: a CSP fit for the page and the widget, no framing, no listings, no version."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
import requests

from integrations.web.server import STATIC_DIR, DemoPageHandler, content_security_policy

RASA_URL = "http://localhost:5005"


@pytest.fixture()
def demo_server() -> Iterator[str]:
    DemoPageHandler.rasa_url = RASA_URL
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(DemoPageHandler, directory=str(STATIC_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


@pytest.mark.parametrize("path", ["/", "/pricing.html", "/widget.js", "/widget-config.js", "/vendor/socket.io.min.js"])
def test_every_answer_carries_the_security_headers(demo_server: str, path: str) -> None:
    response = requests.get(demo_server + path, timeout=10)
    assert response.status_code == 200
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline scripts, no eval
    assert policy["connect-src"] == ["'self'", RASA_URL, "ws://localhost:5005"]  # the widget's socket.io
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Python" not in response.headers["Server"]


@pytest.mark.parametrize("path", ["/vendor/", "/vendor", "/"])
def test_no_directory_is_listed(demo_server: str, path: str) -> None:
    response = requests.get(demo_server + path, timeout=10)
    assert "socket.io.min.js" not in response.text and "Directory listing" not in response.text
    if path != "/":
        assert response.status_code in (301, 404)


def test_the_pages_have_no_inline_scripts_or_handlers() -> None:
    """script-src 'self' would block them: the pages' own script is demo-page.js."""
    for page in ("index.html", "pricing.html"):
        html = (STATIC_DIR / page).read_text()
        assert "<script>" not in html and "onclick" not in html.lower(), page


def test_a_secure_rasa_url_gets_a_secure_websocket() -> None:
    assert "wss://chat.acme.example" in content_security_policy("https://chat.acme.example/")
