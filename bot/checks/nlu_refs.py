"""Training examples (bot/data/nlu): where each one is, duplicates, and intents the domain lacks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from bot.checks.domain_refs import intent_names
from bot.checks.problems import Problem
from bot.checks.project import Project

ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    file: str
    line: int

    @property
    def key(self) -> str:
        """What the model sees: annotations removed, case and spacing ignored."""
        return " ".join(ANNOTATION.sub(r"\1", self.text).lower().split())


def examples(project: Project) -> list[Example]:
    found = []
    for rel in project.nlu_files:
        file = project.file(rel)
        if file is None:
            continue
        lines = file.lines
        for index, item in enumerate(file.data.get("nlu") or []):
            if "intent" not in item or "examples" not in item:
                continue
            cursor = file.line(["nlu", index, "examples"]) or 1  # 1-based line of `examples: |`
            for text in _example_texts(str(item["examples"])):
                cursor = _find(lines, text, cursor)
                found.append(Example(text, str(item["intent"]), rel, cursor))
    return found


def _example_texts(block: str) -> Iterator[str]:
    for raw in block.splitlines():
        stripped = raw.strip()
        if stripped.startswith("- "):
            yield stripped[2:].strip()


def _find(lines: list[str], text: str, after: int) -> int:
    """1-based number of the first line after line `after` that holds the example `text`."""
    for number in range(after + 1, len(lines) + 1):
        stripped = lines[number - 1].strip()
        if stripped.startswith("-") and stripped[1:].strip() == text:
            return number
    return after


def example_counts(project: Project) -> Counter[str]:
    return Counter(example.intent for example in examples(project))


def duplicate_problems(project: Project) -> Iterator[Problem]:
    """The same example twice (in one intent or two): reported at each place it appears."""
    groups: dict[str, list[Example]] = {}
    for example in examples(project):
        groups.setdefault(example.key, []).append(example)
    for group in groups.values():
        for example in group if len(group) > 1 else []:
            others = [other for other in group if other is not example]
            elsewhere = "; ".join(f"{other.file}:{other.line} (intent {other.intent})" for other in others)
            same = all(other.intent == example.intent for other in others)
            yield Problem(
                example.file,
                example.line,
                f'the example "{example.text}" (intent {example.intent}) is also at {elsewhere}',
                "Delete one of the copies."
                if same
                else "Keep it under the one intent it means and delete the other; the same words under two "
                "intents confuse the model.",
            )


def unknown_intent_problems(project: Project) -> Iterator[Problem]:
    """Every intent with examples must be listed in the domain."""
    domain = project.domain
    if domain is None:
        return
    known = intent_names(domain)
    for rel in project.nlu_files:
        file = project.files[rel]
        for index, item in enumerate(file.data.get("nlu") or []):
            intent = str(item.get("intent") or "")
            if intent and intent.split("/")[0] not in known:
                yield file.problem(
                    ["nlu", index, "intent"],
                    f"the intent `{intent}` is not listed under `intents:` in bot/domain.yml",
                    f"Add `- {intent.split('/')[0]}` under `intents:` in bot/domain.yml, or fix the spelling.",
                )
