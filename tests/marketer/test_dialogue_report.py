"""`make test-dialogues` turns Rasa's failed_test_stories.yml into plain sentences."""

from __future__ import annotations

from pathlib import Path

from bot.checks.dialogue_replay import failures, main
from tests.marketer.project_copy import ROOT

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_real_rasa_report_is_explained_in_plain_words() -> None:
    sentences = [failure.describe() for failure in failures(FIXTURES / "failed_test_stories.yml", ROOT)]
    assert sentences == [
        'In "SQL lead typed freely, with a pricing question mid-form": after the visitor said "how much does it '
        'cost?", the bot was expected to run utter_out_of_scope but ran utter_pricing. (1 later step(s) differ too, '
        "probably as a consequence.)",
        'In "IQL lead asks why, then declines consent": after the visitor said "why do you ask?", the bot was '
        "expected to run action_explain_why but ran utter_faq. (1 later step(s) differ too, probably as a "
        "consequence.)",
    ]


def write_report(tmp_path: Path, steps: str) -> Path:
    stories = tmp_path / "stories.yml"
    stories.write_text(
        'version: "3.1"\nstories:\n- story: quick replies\n  steps:\n'
        "  - intent: request_demo\n    user: /request_demo\n  - action: action_open_qualification\n"
        "  - intent: nlu_fallback\n  - action: contact_form\n"
    )
    report = tmp_path / "failed_test_stories.yml"
    report.write_text(f'version: "3.1"\nstories:\n- story: quick replies ({stories})\n  steps:\n{steps}')
    return report


def test_quick_reply_answer_without_text_and_start(tmp_path: Path) -> None:
    clicked = write_report(
        tmp_path,
        "  - intent: request_demo\n  - action: action_open_qualification  # predicted: utter_greet\n",
    )
    assert failures(clicked)[0].describe() == (
        'In "quick replies": after the visitor clicked the quick reply /request_demo, the bot was expected to run '
        "action_open_qualification but ran utter_greet."
    )
    untexted = write_report(
        tmp_path,
        "  - intent: request_demo\n  - action: action_open_qualification\n"
        "  - intent: nlu_fallback\n  - action: contact_form  # predicted: action_listen\n",
    )
    assert "after the visitor's answer (understood as nlu_fallback)" in failures(untexted)[0].describe()
    start = write_report(tmp_path, "  - action: action_session_start  # predicted: action_listen\n")
    assert "at the start of the conversation" in failures(start)[0].describe()


def test_no_failures_when_rasa_says_all_good(tmp_path: Path) -> None:
    report = tmp_path / "failed_test_stories.yml"
    report.write_text("# None of the test stories failed - all good!")
    assert failures(report) == []


def test_missing_model_is_explained(tmp_path: Path, capsys) -> None:
    assert main(["--model", str(tmp_path / "none.tar.gz")]) == 1
    assert "make train" in capsys.readouterr().out
