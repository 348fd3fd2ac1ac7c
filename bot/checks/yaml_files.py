"""YAML files loaded with ruamel.yaml, so every value knows its line number."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from bot.checks.problems import ERROR, Problem

# Rasa reads its files as YAML 1.2; the action server reads bot/qualification with PyYAML (YAML 1.1,
# where yes/no/on/off are booleans). Loading each file the way its reader does keeps the checks honest.
RASA_YAML = (1, 2)
PYYAML_YAML = (1, 1)


@dataclass
class YamlFile:
    rel: str
    data: Any
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line(self, path: Sequence[Any]) -> int | None:
        """1-based line of the deepest key or item of `path` that exists in the file."""
        node, found = self.data, None
        for step in path:
            if isinstance(node, CommentedMap) and step in node:
                found = node.lc.key(step)[0] + 1
                node = node[step]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                found = node.lc.item(step)[0] + 1
                node = node[step]
            else:
                break
        if found is None and isinstance(self.data, (CommentedMap, CommentedSeq)):
            return self.data.lc.line + 1
        return found

    def problem(self, path: Sequence[Any], message: str, fix: str, severity: str = ERROR) -> Problem:
        return Problem(self.rel, self.line(path), message, fix, severity)


def load(root: Path, rel: str, version: tuple[int, int] = RASA_YAML) -> YamlFile | Problem:
    """The parsed file, or the syntax problem that stops it from being read."""
    text = (root / rel).read_text(encoding="utf-8")
    parser = YAML(typ="rt")
    parser.version = version
    try:
        data = parser.load(text)
    except DuplicateKeyError as error:
        mark = error.problem_mark
        return Problem(
            rel,
            mark.line + 1 if mark else None,
            f"a key is written twice in the same section ({error.problem})",
            "Keep one of the two: delete the other or give it its own name.",
        )
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = " ".join(str(part) for part in (error.context, error.problem) if part)
        return Problem(
            rel,
            mark.line + 1 if mark else None,
            f"this is not valid YAML ({what})",
            "Check the indentation (spaces, never tabs), the colon after each key, and quotes around "
            "text that contains a colon or starts with a special character such as # or *.",
        )
    return YamlFile(rel, data, text)


def plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain dicts, lists, str, int, float, bool."""
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value
