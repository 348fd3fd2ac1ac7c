"""Scripted visitor answers shared by the benchmarks and the end-to-end tests (tests import it from here)."""

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


def typed_hot_lead(name: str, email: str, company: str) -> list[str]:
    """A hot lead typing freely from greeting to consent, with a side question mid-form.

    The long answers make long trackers, so Rasa's calls to the action server are large (65-80 kB).
    """
    return [
        "hi there",
        "I'd like to book a demo",
        "our SDRs waste hours on junk leads, we need automatic lead scoring from our CRM data",
        "I'm the VP of sales and the budget is mine",
        "how much does it cost?",
        "we have $40k set aside for this",
        "asap, within the next two weeks",
        name,
        email,
        company,
        "skip",
        "yes",
    ]
