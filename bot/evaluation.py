"""Measure understanding on the held-out set in tests/heldout (phrasings never used for training).

Usage: python -m bot.evaluation [--url http://127.0.0.1:5005] [--token TOKEN]
Needs a running Rasa server with the trained model. Prints per-slot accuracy and confusion matrices.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.actions.contact import check_email, check_phone, clean_company, clean_name
from bot.actions.questions import question_ids
from bot.actions.understanding import budget_answer, categorize, timeline_answer
from integrations import settings

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "heldout"


@dataclass
class SlotResult:
    total: int = 0
    correct: int = 0
    confusion: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, text: str, expected: str, got: str | None) -> None:
        self.total += 1
        self.correct += expected == got
        self.confusion[expected][str(got)] += 1
        if expected != got:
            self.errors.append((text, expected, str(got)))

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


class Parser:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.params = {"token": token} if token else {}
        self.session = requests.Session()

    def parse(self, text: str) -> dict[str, Any]:
        response = self.session.post(f"{self.url}/model/parse", json={"text": text}, params=self.params, timeout=30)
        response.raise_for_status()
        return response.json()


def evaluate_bant(parser: Parser) -> dict[str, SlotResult]:
    data = yaml.safe_load((HELDOUT / "bant.yml").read_text())
    results = {}
    # every question of questions.yml that the held-out set has phrasings for, in that order
    for slot in [question for question in question_ids() if question in data]:
        result = SlotResult()
        for expected, texts in data[slot].items():
            for text in texts:
                message = parser.parse(text)
                if slot == "budget":
                    got = budget_answer(message, asked=True)[0]
                elif slot == "timeline":
                    got = timeline_answer(message, asked=True)
                else:
                    got = categorize(slot, message, asked=True)
                result.add(text, expected, got)
        results[slot] = result
    return results


def evaluate_contact() -> SlotResult:
    readers = {
        "email": lambda text: check_email(text).email,
        "phone": lambda text: check_phone(text, settings.value("DEFAULT_PHONE_REGION")),
        "person_name": clean_name,
        "company": clean_company,
    }
    result = SlotResult()
    for item in yaml.safe_load((HELDOUT / "contact.yml").read_text()):
        got = readers[item["slot"]](item["text"])
        expected = item["expected"]
        result.total += 1
        result.correct += got == expected
        if got != expected:
            result.errors.append((item["text"], str(expected), str(got)))
    return result


def evaluate_side_questions(parser: Parser) -> SlotResult:
    result = SlotResult()
    for item in yaml.safe_load((HELDOUT / "side_questions.yml").read_text()):
        message = parser.parse(item["text"])
        intent = message["intent"]["name"]
        if intent == "faq":
            intent = message.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
        result.add(item["text"], item["expected"], intent)
    return result


def confusion_table(result: SlotResult) -> str:
    labels = sorted(set(result.confusion) | {got for row in result.confusion.values() for got in row})
    width = max(len(label) for label in labels) + 2
    lines = ["expected \\ got".ljust(width) + "".join(label.rjust(width) for label in labels)]
    for expected in sorted(result.confusion):
        row = result.confusion[expected]
        lines.append(expected.ljust(width) + "".join(str(row.get(label, 0)).rjust(width) for label in labels))
    return "\n".join(lines)


def report(bant: dict[str, SlotResult], contact: SlotResult, side: SlotResult) -> tuple[str, dict[str, Any]]:
    total = sum(result.total for result in bant.values())
    correct = sum(result.correct for result in bant.values())
    lines = ["Held-out understanding (tests/heldout, never used for training)", ""]
    for slot, result in bant.items():
        lines.append(f"  {slot:<10} {result.accuracy:6.1%}  ({result.correct}/{result.total})")
    lines.append(f"  {'BANT all':<10} {correct / total:6.1%}  ({correct}/{total})")
    lines.append(f"  {'contact':<10} {contact.accuracy:6.1%}  ({contact.correct}/{contact.total})")
    lines.append(f"  {'side q.':<10} {side.accuracy:6.1%}  ({side.correct}/{side.total})")
    for slot, result in bant.items():
        lines += ["", f"Confusion matrix: {slot}", confusion_table(result)]
    lines += ["", "Misunderstood:"]
    for name, result in [*bant.items(), ("contact", contact), ("side", side)]:
        lines += [f"  [{name}] {text!r}: expected {expected}, got {got}" for text, expected, got in result.errors]
    summary = {
        "bant_accuracy": correct / total,
        "per_slot": {slot: result.accuracy for slot, result in bant.items()},
        "contact_accuracy": contact.accuracy,
        "side_question_accuracy": side.accuracy,
        "counts": {slot: result.total for slot, result in bant.items()},
    }
    return "\n".join(lines), summary


def evaluate(url: str, token: str | None) -> tuple[str, dict[str, Any]]:
    parser = Parser(url, token)
    return report(evaluate_bant(parser), evaluate_contact(), evaluate_side_questions(parser))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{settings.value('RASA_PORT')}")
    parser.add_argument("--token", default=settings.value("RASA_TOKEN") or None)
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args()
    text, summary = evaluate(args.url, args.token)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
