"""`make check` on copies of the project broken on purpose: each mistake is reported at its file and line,
with a fix, and the check fails. On the project itself it passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.marketer.project_copy import ROOT, Edit, copy_project, insert_after, line_of, replace_once, run_check

Breakage = Callable[[Path], tuple[Edit, str]]


def remove_block(root: Path, rel: str, first: str, until: str) -> None:
    """Delete the lines from `first` up to (not including) `until`."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    start, end = text.index(first), text.index(until)
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def response_used_by_the_form(root: Path) -> tuple[Edit, str]:
    remove_block(root, "bot/domain.yml", "  utter_ask_budget:\n", "  utter_ask_timeline:\n")
    return Edit("bot/domain.yml", line_of(root, "bot/domain.yml", "- budget")), "utter_ask_budget"


def response_used_by_a_rule(root: Path) -> tuple[Edit, str]:
    remove_block(root, "bot/domain.yml", "  utter_pricing:\n", "  utter_pricing_then_qualify:\n")
    return Edit("bot/data/rules.yml", line_of(root, "bot/data/rules.yml", "- action: utter_pricing")), "utter_pricing"


def category_no_question_produces(root: Path) -> tuple[Edit, str]:
    edit = insert_after(root, "bot/qualification/scoring.yml", "    unknown: 0", "    huge: 40")
    return edit, "budget: huge"


def rep_without_booking_link(root: Path) -> tuple[Edit, str]:
    replace_once(root, "bot/qualification/reps.yml", "    booking_link: https://cal.acme.example/lukas\n", "")
    return Edit("bot/qualification/reps.yml", line_of(root, "bot/qualification/reps.yml", "- name: Lukas Brenner")), (
        "booking_link"
    )


def threshold_of_120(root: Path) -> tuple[Edit, str]:
    return replace_once(root, "bot/qualification/scoring.yml", "min_score: 75", "min_score: 120"), "120"


def duplicate_training_example(root: Path) -> tuple[Edit, str]:
    rel = "bot/data/nlu/conversation.yml"
    intent = line_of(root, rel, "- intent: thanks")
    return insert_after(root, rel, "  examples: |", "    - lead scoring", after=intent), '"lead scoring"'


def every_rep_inactive(root: Path) -> tuple[Edit, str]:
    path = root / "bot/qualification/reps.yml"
    path.write_text(path.read_text().replace("active: true", "active: false"))
    return Edit("bot/qualification/reps.yml", line_of(root, "bot/qualification/reps.yml", "reps:")), "inactive"


def form_question_without_slot(root: Path) -> tuple[Edit, str]:
    return insert_after(root, "bot/domain.yml", "      - timeline", "      - company_size"), "no slot `company_size`"


def last_stage_not_catch_all(root: Path) -> tuple[Edit, str]:
    replace_once(root, "bot/qualification/scoring.yml", "    min_score: 0\n", "    min_score: 10\n")
    return Edit("bot/qualification/scoring.yml", line_of(root, "bot/qualification/scoring.yml", "- stage: IQL")), (
        "every remaining lead"
    )


def stage_without_next_step(root: Path) -> tuple[Edit, str]:
    stage = "  - stage: NURTURE\n    temperature: warm\n    min_score: 20"
    edit = insert_after(root, "bot/qualification/scoring.yml", "    min_score: 40", stage)
    return edit, "utter_next_step_nurture"


def misspelt_placeholder(root: Path) -> tuple[Edit, str]:
    old = '"Thanks {person_name}! It sounds like'
    return replace_once(root, "bot/domain.yml", old, old.replace("person_name", "first_name")), "{first_name}"


def points_out_of_range(root: Path) -> tuple[Edit, str]:
    return replace_once(root, "bot/qualification/scoring.yml", "allocated: 30", "allocated: 300"), "300"


def misspelt_key(root: Path) -> tuple[Edit, str]:
    old = "    booking_link: https://cal.acme.example/dana"
    return replace_once(root, "bot/qualification/reps.yml", old, old.replace("booking_link", "booking_lnk")), (
        "booking_lnk"
    )


def yaml_syntax_error(root: Path) -> tuple[Edit, str]:
    return replace_once(root, "bot/qualification/scoring.yml", "    planned: 15\n", "    planned: 15:\n"), "YAML"


def quick_reply_to_unknown_intent(root: Path) -> tuple[Edit, str]:
    return replace_once(root, "bot/domain.yml", '"/timeline_later"', '"/timeline_latr"'), "timeline_latr"


VARIANTS = "  variants:\n    - name: direct\n      share: 50\n    - name: {second}\n      share: {share}\n"


def variant_listed_twice(root: Path) -> tuple[Edit, str]:
    variants = VARIANTS.format(second="direct", share=50) + '      text: "Is there money for this yet?"'
    edit = insert_after(root, "bot/qualification/questions.yml", "  label: Budget", variants)
    return Edit(edit.file, edit.line + 3), "listed twice"


def variant_share_in_words(root: Path) -> tuple[Edit, str]:
    variants = VARIANTS.format(second="soft", share="half") + '      text: "Is there money for this yet?"'
    edit = insert_after(root, "bot/qualification/questions.yml", "  label: Budget", variants)
    return Edit(edit.file, edit.line + 4), "half"


def variants_with_one_wording(root: Path) -> tuple[Edit, str]:
    edit = insert_after(
        root, "bot/qualification/questions.yml", "  label: Budget", VARIANTS.format(second="soft", share=50)
    )
    return Edit(edit.file, edit.line + 3), "compares nothing"


BREAKAGES: dict[str, Breakage] = {
    "a response the form still uses": response_used_by_the_form,
    "a response a rule still uses": response_used_by_a_rule,
    "a scoring category no question produces": category_no_question_produces,
    "a rep without a booking link": rep_without_booking_link,
    "a threshold of 120": threshold_of_120,
    "a duplicate training example": duplicate_training_example,
    "every rep inactive": every_rep_inactive,
    "a form question without a slot": form_question_without_slot,
    "a last stage that is no catch-all": last_stage_not_catch_all,
    "a stage without its next-step message": stage_without_next_step,
    "a placeholder nothing fills": misspelt_placeholder,
    "points out of range": points_out_of_range,
    "a misspelt key": misspelt_key,
    "a YAML syntax error": yaml_syntax_error,
    "a quick reply to an unknown intent": quick_reply_to_unknown_intent,
    "a variant listed twice": variant_listed_twice,
    "a variant's share in words": variant_share_in_words,
    "two variants with one wording": variants_with_one_wording,
}


def reported(output: str, edit: Edit) -> str:
    """Every problem printed at the edit's file and line, each with its fix line."""
    pattern = rf"^{re.escape(edit.file)}:{edit.line}: error: .*\n    fix: .+$"
    found = re.findall(pattern, output, re.MULTILINE)
    assert found, f"nothing reported at {edit.file}:{edit.line}:\n{output}"
    return "\n".join(found)


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_the_check_reports_the_mistake_at_its_line(tmp_path: Path, breakage: Breakage) -> None:
    root = copy_project(tmp_path / "project")
    edit, mentions = breakage(root)
    result = run_check(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert mentions in reported(result.stdout, edit)
    assert "All marketer files are valid." not in result.stdout


BROKEN_ORDERS = """\
# order test
orders:
  - name: bant
    share: 50
    questions: [need, authority, budget, timeline]
  - name: bant
    share: 0
    questions: [budget, need, budget, timeline, colour]
  - name: late
    share: half
    questions: [need, budget, timeline]
"""


def test_the_check_explains_wrong_question_orders_at_their_lines(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "bot/qualification/orders.yml").write_text(BROKEN_ORDERS, encoding="utf-8")
    result = run_check(root)
    assert result.returncode == 1, result.stdout + result.stderr
    for line, mentions in (
        (6, "the order `bant` is listed twice"),
        (7, "the share of the order `bant` must be a number above 0, not 0"),
        (8, "the order `bant` lists `budget` twice"),
        (8, "`colour` is not a question of qualification_form in bot/domain.yml"),
        (8, "the order `bant` leaves out `authority`"),
        (10, "the share of the order `late` must be a number above 0, not 'half'"),
        (11, "the order `late` leaves out `authority`"),
    ):
        assert mentions in reported(result.stdout, Edit("bot/qualification/orders.yml", line))
    (root / "bot/qualification/orders.yml").write_text(
        "orders:\n  - name: only\n    questions: [need, authority, budget, timeline]\n", encoding="utf-8"
    )
    result = run_check(root)
    assert "only one order" in reported(result.stdout, Edit("bot/qualification/orders.yml", 1))
    good = "".join(
        f"  - name: {name}\n    share: 50\n    questions: [{questions}]\n"
        for name, questions in (
            ("bant", "need, authority, budget, timeline"),
            ("late", "budget, need, authority, timeline"),
        )
    )
    (root / "bot/qualification/orders.yml").write_text("orders:\n" + good, encoding="utf-8")
    result = run_check(root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rasa_validation_runs_too_and_the_rule_mistake_is_reported_once(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    edit, _ = response_used_by_a_rule(root)
    result = run_check(root, rasa=True)
    assert result.returncode == 1
    assert result.stdout.count(f"{edit.file}:{edit.line}: error:") == 1, result.stdout


def test_the_shipped_project_passes() -> None:
    result = run_check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith(("All marketer files are valid.", "warning(s) above.)"))
