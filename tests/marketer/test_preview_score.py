"""`make preview-score`: a marketer tries a policy change before deploying it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.marketer.project_copy import ROOT

PYTHON = ROOT / ".venvs" / "actions" / "bin" / "python"
ANSWERS = ["need=defined", "authority=influencer", "budget=planned", "timeline=quarter"]


def preview(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), str(ROOT / "scripts" / "preview_score.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_live_policy_preview() -> None:
    result = preview(*ANSWERS)
    assert result.returncode == 0, result.stderr
    assert "Score:        70 / 100" in result.stdout
    assert "Stage:        MQL (warm)" in result.stdout
    assert "not SQL: score 70 < 75" in result.stdout


def test_trial_policy_is_compared_with_the_live_one(tmp_path: Path) -> None:
    trial = tmp_path / "my-scoring.yml"
    trial.write_text(
        (ROOT / "bot" / "qualification" / "scoring.yml").read_text().replace("min_score: 75", "min_score: 70")
    )
    result = preview(*ANSWERS, "--policy", str(trial))
    assert result.returncode == 0, result.stderr
    assert "Stage:        SQL (hot)" in result.stdout
    assert "With the live policy (bot/qualification/scoring.yml): 70, MQL (warm)" in result.stdout
    every = preview("--all", "--policy", str(trial))
    assert "4 combination(s) change stage:" in every.stdout
    assert "MQL -> SQL: 4" in every.stdout


def test_a_typo_lists_the_possible_answers() -> None:
    result = preview("budget=alocated")
    assert result.returncode == 1
    assert "answers: allocated, planned, none, unknown" in result.stderr
