"""Fixed test ports, shifted by TEST_PORT_OFFSET so two checkouts can run the suites side by side."""

from __future__ import annotations

import os


def port(base: int) -> int:
    return base + int(os.environ.get("TEST_PORT_OFFSET", "0"))
