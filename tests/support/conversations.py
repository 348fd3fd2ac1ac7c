"""Scripted visitor answers shared by end-to-end tests and benchmarks."""

SQL_ANSWERS = (
    "/request_demo",
    "/need_defined",
    "/authority_decision_maker",
    "/budget_allocated",
    "/timeline_immediate",
)


def letters(number: int) -> str:
    """A name-like word for a number (names may not contain digits): 0 -> "Ba", 26 -> "Ca"."""
    word = ""
    number += 26
    while number:
        number, digit = divmod(number, 26)
        word = chr(ord("a") + digit) + word
    return word.capitalize()
