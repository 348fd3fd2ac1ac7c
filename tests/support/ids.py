"""Hypothesis strategies for conversation ids: the ones clients use, and the ones that broke the tracker store."""

from __future__ import annotations

from hypothesis import strategies as st

from integrations.rasa.guards import MAX_ID_LENGTH

# letters, marks, digits, punctuation, symbols and the ASCII space: what people and widgets use as ids
PRINTABLE = st.characters(categories=["L", "M", "N", "P", "S"]) | st.just(" ")
# what broke Rasa's SQL tracker store (surrogates on SQLite, NUL on PostgreSQL) and what has no place in an id
UNPRINTABLE = st.characters(categories=["Cs", "Cc", "Cf", "Co", "Zl", "Zp"]) | st.sampled_from(
    "\x00\udc00\ud800\n\r\t\x7f"
)
NOT_STRINGS = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


def printable_ids(min_size: int = 1, max_size: int = MAX_ID_LENGTH) -> st.SearchStrategy[str]:
    return st.text(PRINTABLE, min_size=min_size, max_size=max_size).filter(lambda value: value.strip() != "")


def broken_ids() -> st.SearchStrategy[str]:
    """Printable text with at least one surrogate, NUL, control, format or line-break character inside."""
    return st.builds(
        lambda before, bad, after: before + bad + after,
        printable_ids(min_size=0, max_size=40),
        st.text(UNPRINTABLE, min_size=1, max_size=3),
        printable_ids(min_size=0, max_size=40),
    )


def too_long_ids() -> st.SearchStrategy[str]:
    return printable_ids(min_size=MAX_ID_LENGTH + 1, max_size=3000)


def any_ids() -> st.SearchStrategy[object]:
    """Mostly bad ids (what an attacker sends), some good ones (what must keep working)."""
    return st.one_of(broken_ids(), broken_ids(), too_long_ids(), NOT_STRINGS, st.just(""), printable_ids())
