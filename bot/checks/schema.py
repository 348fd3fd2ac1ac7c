"""Validate a YAML file against its JSON Schema (bot/checks/schemas) and explain each error plainly.

Each schema node may carry an "x-fix": the plain-language fix shown to the marketer.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any, Sequence

from jsonschema import Draft7Validator, ValidationError

from bot.checks.problems import Problem
from bot.checks.yaml_files import YamlFile, plain

SCHEMAS = Path(__file__).resolve().parent / "schemas"
TYPE_WORDS = {
    "object": "a section of `key: value` lines",
    "array": "a list (one `- item` per line, or `[a, b]`)",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@cache
def validator(name: str) -> Draft7Validator:
    return Draft7Validator(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))


def schema_problems(file: YamlFile, name: str) -> list[Problem]:
    """One problem per schema violation, at the line of the offending key or item."""
    data, checker = plain(file.data), validator(name)
    found = []
    for error in sorted(checker.iter_errors(data), key=lambda error: [str(step) for step in error.path]):
        path = list(error.absolute_path)
        extra = _unknown_key(error)
        if extra is not None:
            path.append(extra)
        elif "propertyNames" in error.schema_path:
            path.append(error.instance)  # a badly written key: point at the key itself
        found.append(file.problem(path, f"{where(path, data)}: {describe(error)}", fix_for(error, checker)))
    return found


def where(path: Sequence[Any], data: Any) -> str:
    """`reps` item 2 (Lukas Brenner) > `booking_link`: a readable place in the file."""
    parts, node = [], data
    for step in path:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            label = next(
                (str(node[key]) for key in ("name", "stage", "intent") if isinstance(node, dict) and key in node), ""
            )
            parts.append(f"item {step + 1}" + (f" ({label})" if label else ""))
        else:
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(f"`{step}`")
    return " > ".join(parts) or "the file"


def describe(error: ValidationError) -> str:
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "required":
        missing = error.message.split("'")[1]
        return f"`{missing}` is missing"
    if kind == "additionalProperties":
        return f"unknown key `{_unknown_key(error)}`"
    if kind == "type":
        return f"is {_shown(value)}, but it must be {TYPE_WORDS.get(str(error.validator_value), error.validator_value)}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        return f"is {value}, out of range (it must be from {low} to {high})"
    if kind == "enum":
        return f"is {_shown(value)}; it must be one of {', '.join(map(str, error.validator_value))}"
    if kind in ("minItems", "minProperties", "minLength"):
        return "is empty"
    if kind == "uniqueItems":
        return "lists the same value twice"
    if kind == "pattern":
        return f"{_shown(value)} is not written the expected way"
    if kind == "dependencies":
        return "`examples` is missing"
    return error.message


def fix_for(error: ValidationError, checker: Draft7Validator) -> str:
    schema = error.schema
    if error.validator == "required":
        missing = error.message.split("'")[1]
        wanted = schema.get("properties", {}).get(missing) or {}
        if "$ref" in wanted:
            wanted = checker.resolver.resolve(wanted["$ref"])[1]
        return wanted.get("x-fix") or schema.get("x-fix") or f"Add `{missing}:`."
    if error.validator == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        close = difflib.get_close_matches(str(_unknown_key(error)), allowed, n=1)
        hint = f"Did you mean `{close[0]}`? " if close else ""
        return hint + (f"Keys allowed here: {', '.join(allowed)}." if allowed else schema.get("x-fix", ""))
    return schema.get("x-fix") or error.message


def _unknown_key(error: ValidationError) -> Any:
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    known = error.schema.get("properties", {})
    return next((key for key in error.instance if key not in known), None)


def _shown(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (dict, list)):
        return "a section" if isinstance(value, dict) else "a list"
    return str(value).lower() if isinstance(value, bool) else str(value)
