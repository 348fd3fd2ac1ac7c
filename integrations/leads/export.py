"""Leads as CSV or JSON: every column of the leads table, in table order.

The CSV adds two columns per qualification question that has no columns of its own on the lead (a
question a marketer added, e.g. `company_size` and `company_size_detail`), taken from the lead's answers
in the order the dialogue asked them; the JSON has them all in `answers`.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from integrations.answers import COLUMN_QUESTIONS, answers_from_json
from integrations.leads.queries import as_utc
from integrations.store.models import Lead

FIELDS: tuple[str, ...] = tuple(column.key for column in Lead.__table__.columns)

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d[\d .()-]*$")  # "+14155552671", "-3": data, not formulas
_C1_AND_DEL = re.compile("[\x7f-\x9f]")


def lead_dict(lead: Lead) -> dict[str, Any]:
    """All fields of the lead; datetimes as ISO 8601 in UTC, JSON columns as they are."""
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(lead, name)
        if isinstance(value, datetime):
            value = as_utc(value).isoformat()
        values[name] = value
    return values


def write_json(leads: Iterable[Lead], out: IO[str]) -> int:
    rows = [lead_dict(lead) for lead in leads]
    document = json.dumps(rows, ensure_ascii=False, indent=2)
    # json leaves DEL and C1 controls raw with ensure_ascii=False; escape them so a terminal never sees them
    out.write(_C1_AND_DEL.sub(lambda match: f"\\u{ord(match.group()):04x}", document) + "\n")
    return len(rows)


def question_columns(leads: Iterable[Lead]) -> list[str]:
    """`<question>` and `<question>_detail` for every answered question without columns of its own, in order."""
    names: dict[str, None] = {}
    for lead in leads:
        for answer in answers_from_json(lead.answers):
            if answer.question not in COLUMN_QUESTIONS and answer.question not in FIELDS:
                names.setdefault(answer.question)
    return [column for name in names for column in (name, f"{name}_detail")]


def write_csv(leads: Iterable[Lead], out: IO[str]) -> int:
    """One row per lead; JSON columns serialised as JSON text, booleans as true/false."""
    leads = list(leads)
    extra = question_columns(leads)
    writer = csv.writer(out)
    writer.writerow([*FIELDS, *extra])
    for lead in leads:
        answers = {answer.question: answer for answer in answers_from_json(lead.answers)}
        cells = list(lead_dict(lead).values())
        for column in extra:
            answer = answers.get(column.removesuffix("_detail"))
            if answer is not None and answer.question == column:
                cells.append(answer.category)
            elif answer is not None:
                cells.append(answer.text)
            else:
                cells.append(None)
        writer.writerow([csv_cell(value) for value in cells])
    return len(leads)


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    text = "".join(char for char in text if char in "\n\t" or unicodedata.category(char) != "Cc")
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text
