"""The production mode for tests: nginx, two Rasa servers and two action servers, PostgreSQL, Redis.

One stack per test session on its own ports, databases (created and dropped here) and Redis
key prefix, started by the same code as `make production` (integrations/runtime/production.py).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integrations.runtime.production import ProductionConfig, ProductionStack
from integrations.runtime.stack import ROOT
from tests.support.ports import port
from tests.support.postgres import temporary_postgres_database

SITE_ORIGIN = f"http://127.0.0.2:{port(18101)}"


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    with (
        temporary_postgres_database("leads_prod", skip_if_missing=False) as leads_url,
        temporary_postgres_database("tracker_prod", migrate=False, skip_if_missing=False) as tracker_url,
    ):
        config = ProductionConfig(
            public_port=port(18100),
            rasa_ports=(port(15105), port(15106)),
            actions_ports=(port(15155), port(15156)),
            rasa_internal_port=port(15104),
            actions_lb_port=port(15154),
            web_port=port(18180),
            database_url=leads_url,
            tracker_database_url=tracker_url,
            redis_key_prefix=f"test{uuid.uuid4().hex[:8]}",
            rasa_token=secrets.token_urlsafe(16),
            action_token=secrets.token_urlsafe(16),
            state_dir=tmp_path_factory.mktemp("production"),
            site_origins=(SITE_ORIGIN,),  # ALLOWED_ORIGINS: a company site embedding the widget
        )
        stack = ProductionStack(config, log_dir=ROOT / "tests" / "reports" / "logs" / "production")
        with stack:
            yield stack


class ProductionVisitor:
    """A visitor whose messages go to a chosen Rasa server, or through nginx."""

    def __init__(self, stack: ProductionStack) -> None:
        self.stack = stack
        self.id = f"prod-{uuid.uuid4().hex[:12]}"
        self.sent: list[str] = []

    def say(self, text: str, via: str | int = "nginx") -> list[dict[str, Any]]:
        """Send `text` through nginx (`via="nginx"`) or straight to Rasa server number `via`."""
        if via == "nginx":
            base = f"http://127.0.0.1:{self.stack.config.public_port}"
        else:
            base = f"http://127.0.0.1:{self.stack.config.rasa_ports[int(via)]}"
        response = requests.post(f"{base}/webhooks/rest/webhook", json={"sender": self.id, "message": text}, timeout=90)
        response.raise_for_status()
        replies = response.json()
        assert replies, f"the bot said nothing to {text!r}"
        self.sent.append(text)
        return replies

    def say_raw(self, text: str, via: int) -> list[dict[str, Any]]:
        """Send `text` to Rasa server number `via`; its answer as it is (empty while a rep has the chat)."""
        base = f"http://127.0.0.1:{self.stack.config.rasa_ports[via]}"
        response = requests.post(f"{base}/webhooks/rest/webhook", json={"sender": self.id, "message": text}, timeout=90)
        response.raise_for_status()
        return response.json()

    def tracker(self, server: int = 0) -> dict[str, Any]:
        port = self.stack.config.rasa_ports[server]
        response = requests.get(
            f"http://127.0.0.1:{port}/conversations/{self.id}/tracker",
            params={"token": self.stack.config.rasa_token},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture()
def visitor(production: ProductionStack) -> ProductionVisitor:
    return ProductionVisitor(production)
