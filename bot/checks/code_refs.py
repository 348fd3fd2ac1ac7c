"""What the Python actions expect from the YAML files, read from their source (never imported).

Reading the source keeps the checker independent of the action server's environment, and keeps the
lists below in step with the code: a response the code sends, a slot it extracts, a variable it
fills into a response.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ACTIONS_DIR = "bot/actions"
RESPONSE_NAME = re.compile(r"^utter_[A-Za-z0-9_]+(/[A-Za-z0-9_]+)?$")
NOT_VARIABLES = frozenset(
    {"response", "text", "buttons", "image", "json_message", "template", "attachment", "elements", "quick_replies"}
)


@dataclass
class CodeRefs:
    responses: dict[str, str] = field(default_factory=dict)  # response name -> "bot/actions/x.py line 12"
    extracted_slots: set[str] = field(default_factory=set)  # slots with an extract_<slot> method
    variables: set[str] = field(default_factory=set)  # names the actions fill into responses


def scan(root: Path) -> CodeRefs:
    refs = CodeRefs()
    for path in sorted((root / ACTIONS_DIR).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = str(path.relative_to(root))
        in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstrings:
                if RESPONSE_NAME.match(node.value):
                    refs.responses.setdefault(node.value, f"{rel} line {node.lineno}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("extract_"):
                refs.extracted_slots.add(node.name.removeprefix("extract_"))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "utter_message":
                refs.variables.update(kw.arg for kw in node.keywords if kw.arg and kw.arg not in NOT_VARIABLES)
    return refs
