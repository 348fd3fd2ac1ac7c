"""ALLOWED_ORIGINS: parsing, normalising and the clear errors for values that are not origins."""

from __future__ import annotations

import pytest

from integrations.rasa.origins import OriginError, allowed_origins, merge, normalize_origin, parse_origins
from integrations.runtime.stack import Stack, StackConfig


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://www.acme.example", "https://www.acme.example"),
        ("  HTTPS://WWW.Acme.Example  ", "https://www.acme.example"),
        ("https://acme.example:443", "https://acme.example"),  # browsers leave the default port out
        ("http://acme.example:80", "http://acme.example"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.2:18082", "http://127.0.0.2:18082"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://shop.acme.example:8443", "https://shop.acme.example:8443"),
    ],
)
def test_origins_are_written_as_browsers_send_them(value: str, origin: str) -> None:
    assert normalize_origin(value) == origin


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("https://acme.example/", "leave out the path and the trailing slash: https://acme.example"),
        ("https://acme.example/pricing?x=1", "leave out the path and the trailing slash: https://acme.example"),
        ("acme.example", "add the scheme: https://acme.example"),
        ("*", "scheme://host[:port]"),
        ("ftp://acme.example", "scheme://host[:port]"),
        ("https://acme.example:0", "scheme://host[:port]"),
        ("https://acme.example:70000", "scheme://host[:port]"),
        ("https://*.acme.example", "scheme://host[:port]"),
        ("https://user@acme.example", "scheme://host[:port]"),
        ("https://acme_example", "scheme://host[:port]"),
    ],
)
def test_anything_else_is_refused_with_a_clear_message(value: str, hint: str) -> None:
    with pytest.raises(OriginError) as raised:
        normalize_origin(value)
    message = str(raised.value)
    assert message.startswith(f"ALLOWED_ORIGINS: {value!r} is not an origin"), message
    assert hint in message, message


def test_the_list_is_comma_separated_with_repeats_and_blanks_dropped() -> None:
    value = "https://www.acme.example, https://acme.example:443,,https://WWW.acme.example ,"
    assert parse_origins(value) == ("https://www.acme.example", "https://acme.example")
    assert parse_origins("") == parse_origins(None) == parse_origins(" , ") == ()
    with pytest.raises(OriginError, match=r"'acme\.example/'"):
        parse_origins("https://www.acme.example,acme.example/")


def test_unset_means_the_demo_pages_origins() -> None:
    assert allowed_origins({}) == ("http://localhost:8080", "http://127.0.0.1:8080")
    assert allowed_origins({"WEB_PORT": "9090", "ALLOWED_ORIGINS": ""}) == (
        "http://localhost:9090",
        "http://127.0.0.1:9090",
    )
    assert allowed_origins({"ALLOWED_ORIGINS": "https://www.acme.example"}) == ("https://www.acme.example",)
    assert merge(("a", "b"), ("b", "c")) == ("a", "b", "c")


def test_the_stack_uses_one_list_for_cors_and_the_socketio_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dotenv.load_dotenv", lambda *args, **kwargs: None)  # not this checkout's .env
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://www.acme.example,http://localhost:8080")
    config = StackConfig.from_env()
    assert config.allowed_origins == ("https://www.acme.example", "http://localhost:8080")
    stack = Stack(config)
    assert stack.env()["ALLOWED_ORIGINS"] == "https://www.acme.example,http://localhost:8080"

    monkeypatch.setenv("ALLOWED_ORIGINS", "https://www.acme.example/")
    with pytest.raises(ValueError, match="leave out the path"):
        StackConfig.from_env()

    monkeypatch.delenv("ALLOWED_ORIGINS")
    monkeypatch.setenv("WEB_PORT", "8181")
    assert StackConfig.from_env().allowed_origins == ("http://localhost:8181", "http://127.0.0.1:8181")
