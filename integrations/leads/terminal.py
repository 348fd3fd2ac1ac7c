"""Safe, aligned text for a terminal: visitor text is data, never terminal control sequences."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Bidirectional overrides and isolates can make a line display in a different order than it reads.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n", "\t": " "}


def clean(value: object, *, keep_newlines: bool = False) -> str:
    """`value` as text without control characters (escape sequences, C1 codes, bidi overrides).

    Line breaks become spaces unless `keep_newlines`; callers that keep them indent the
    continuation lines so a visitor cannot forge a line of the report.
    """
    text = "" if value is None else str(value)
    for old, new in _LINE_BREAKS.items():
        text = text.replace(old, new)
    if not keep_newlines:
        text = text.replace("\n", " ")
    return "".join(
        char for char in text if char == "\n" or (unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS)
    )


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        char_width = display_width(char)
        if used + char_width > width - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_widths: dict[str, int] | None = None) -> str:
    """A plain-text table; every cell is cleaned and cut to its column's maximum width."""
    limits = [(max_widths or {}).get(header, 10_000) for header in headers]
    cells = [[truncate(clean(value) or "-", limit) for value, limit in zip(row, limits, strict=True)] for row in rows]
    widths = [max([display_width(h), *(display_width(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(header, width) for header, width in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def indent_continuation(text: str, indent: int) -> str:
    """Indent every line after the first by `indent` spaces (multi-line answers and bot messages)."""
    return text.replace("\n", "\n" + " " * indent)
