"""Fixtures for the channel tests: fake services that are always shut down, however the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.unit.channels.fakes import FakeService, Validator


@pytest.fixture()
def fake() -> Iterator[Callable[[Validator], FakeService]]:
    """Factory for fake services on 127.0.0.1 (port 0)."""
    started: list[FakeService] = []

    def start(validate: Validator) -> FakeService:
        service = FakeService(validate)
        started.append(service)
        return service

    yield start
    for service in started:
        service.close()
