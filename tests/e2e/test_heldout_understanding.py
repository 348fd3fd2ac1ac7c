"""Understanding measured on the held-out phrasings in tests/heldout (never used for training)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation import evaluate

REPORT = Path("tests/reports/heldout.json")
# The floor below which a change to the training data or pipeline is a regression.
MIN_BANT_ACCURACY = 0.96  # issue 14: make test fails below 0.96 (measured 0.986, target 0.98)
# docs/design.md section 8: contact-detail extraction >= 0.98 (40 phrasings: at most none wrong).
MIN_CONTACT_ACCURACY = 0.98


def test_heldout_accuracy(stack, capsys: pytest.CaptureFixture[str]) -> None:
    text, summary = evaluate(stack.config.rasa_url, stack.config.rasa_token)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print("\n" + text)
    assert all(count >= 20 for count in summary["counts"].values())
    assert summary["bant_accuracy"] >= MIN_BANT_ACCURACY
    assert summary["contact_accuracy"] >= MIN_CONTACT_ACCURACY
