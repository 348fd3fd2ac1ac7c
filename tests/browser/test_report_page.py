"""`leads report`'s HTML in headless Chromium: it renders its charts with no console error and no request
beyond the file itself (self-contained), and the README's screenshot is taken of it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.report_data import generate
from integrations.leads.cli import main
from integrations.store.migrate import upgrade
from tests.conftest import ROOT

IMAGES = ROOT / "docs" / "images"


@pytest.fixture()
def report_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tracker, store = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'leads.db'}"
    upgrade(store)
    generate(tracker, store, 3000, start=datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))
    questions = yaml.safe_load((ROOT / "bot" / "qualification" / "questions.yml").read_text())
    questions["budget"]["variants"] = [
        {"name": "direct", "share": 50},
        {"name": "soft", "share": 50, "text": "Have you set money aside for this yet?"},
    ]
    (tmp_path / "questions.yml").write_text(yaml.safe_dump(questions, sort_keys=False))
    for name, value in (("DATABASE_URL", store), ("TRACKER_DB_URL", tracker), ("QUALIFICATION_DIR", str(tmp_path))):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADS_CALLER_CWD", str(tmp_path))
    assert main(["report", "--since", "2026-11-02", "--until", "2026-11-22", "--output", "report.html"]) == 0
    return tmp_path / "report.html"


def test_the_report_renders_offline_without_errors(browser: Any, report_file: Path) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        assert requests == [report_file.as_uri()]  # nothing else: no fonts, scripts, images or trackers
        assert problems == []
        assert page.locator("h1").inner_text() == "Where visitors drop off and which wording works"
        assert page.locator("svg").count() >= 4  # funnel, drop-off, the variant, stage mix by week
        assert page.get_by_text("soft completes the question more often").is_visible()
        funnel = page.locator("svg").first.bounding_box()
        assert funnel is not None and funnel["width"] > 600
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "report.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 1500},
                        full_page=True)  # fmt: skip
    finally:
        context.close()
