from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from incident_brief.corpus.extract import Extractor, clean_authors, drop_boilerplate_lines, strip_site_name
from incident_brief.corpus.language import LanguageIdentifier
from incident_brief.corpus.records import Extraction

PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(LanguageIdentifier())


def extract_page(extractor: Extractor, name: str, url: str) -> Extraction:
    return extractor.extract((PAGES / name).read_bytes(), url=url)


def test_german_article_with_json_ld(extractor: Extractor) -> None:
    result = extract_page(
        extractor,
        "de_ransomware_jsonld.html",
        "https://nachrichten.example.de/regional/ransomware-stadtwerke-100.html?utm_source=feed",
    )
    assert (
        "Unbekannte Täter haben nach Angaben des Unternehmens zahlreiche Server verschlüsselt" in result.text
    )
    assert "über ein ungepatchtes VPN-Gateway in das Netz" in result.text
    assert "kein Lösegeld zu zahlen" in result.text
    # the standfirst is part of the article and comes first
    assert result.text.startswith("Ein Angriff mit Erpressungssoftware hat die IT der Stadtwerke")
    for boilerplate in (
        "Alle akzeptieren",  # cookie banner
        "Startseite",  # navigation
        "Auf Facebook teilen",  # share buttons
        "Warum Kommunen so oft Opfer",  # related articles
        "Wer trägt dafür eigentlich die Verantwortung",  # comment
        "Impressum",  # footer
    ):
        assert boilerplate not in result.text
    assert "\n" in result.text  # paragraphs stay apart
    assert result.title == "Ransomware legt Stadtwerke Kleinstadt lahm"
    assert result.authors == ["Anna Schmidt", "Jonas Weber"]  # "Von" dropped from the JSON-LD name
    assert result.published == "2024-02-14T09:30:00+01:00"
    assert result.modified == "2024-02-14T17:05:00+01:00"
    assert result.canonical_url == "https://nachrichten.example.de/regional/ransomware-stadtwerke-100.html"
    assert result.site_name == "Nordkurier Digital"
    assert result.language == "de"
    assert result.language_confidence > 0.9
    assert {"Cyberangriff", "IT-Sicherheit", "Ransomware", "Stadtwerke"} == set(result.tags)
    assert result.extractor.startswith("trafilatura-")


def test_english_article_with_meta_tags_only(extractor: Extractor) -> None:
    result = extract_page(
        extractor, "en_breach_meta.html", "https://www.harbortimes.example.com/tech/hospital-breach?ref=rss"
    )
    assert "attackers copied the records of about 120,000 patients" in result.text
    assert "traced the breach to a phishing email" in result.text
    for boilerplate in (
        "uses cookies",
        "Share on Facebook",
        "City council votes",
        "GeorgeW",
        "All rights reserved",
    ):
        assert boilerplate not in result.text
    assert result.title == "Hospital chain confirms patient data breach"  # " - The Harbor Times" removed
    assert result.authors == ["Jane Doe", "John Roe"]  # "By", "and" and the job title removed
    assert result.published == "2024-04-02T14:20:00-04:00"
    assert result.canonical_url == "https://www.harbortimes.example.com/tech/hospital-breach"
    assert result.site_name == "The Harbor Times"
    assert result.description == (
        "Records of about 120,000 patients were copied during an intrusion in March, the company said."
    )
    assert result.tags == ["data breach", "healthcare"]
    assert result.language == "en"
    assert result.language_confidence > 0.9


def test_french_article_without_any_date(extractor: Extractor) -> None:
    result = extract_page(
        extractor, "fr_phishing_nodate.html", "https://www.veilleur.example.fr/securite/hameconnage-banque"
    )
    assert "Des milliers de clients d'une banque en ligne ont reçu" in result.text
    assert "recommande d'activer l'authentification à deux facteurs" in result.text
    for boilerplate in (
        "Accepter",
        "Partager sur Facebook",
        "Rançongiciel",
        "J'ai failli tomber",
        "Mentions légales",
    ):
        assert boilerplate not in result.text
    assert result.title == "Une vague d'hameçonnage vise les clients d'une banque en ligne"
    assert result.authors == ["Claire Martin"]
    assert result.published is None
    assert result.canonical_url == "https://www.veilleur.example.fr/securite/hameconnage-banque"  # og:url
    assert result.language == "fr"
    assert result.language_confidence > 0.9


def test_date_only_in_visible_byline(extractor: Extractor) -> None:
    result = extract_page(
        extractor, "de_byline_date.html", "https://technikblog-sued.example.de/2024/datenleck-onlinehaendler/"
    )
    assert result.published == "2024-03-03"  # "Veröffentlicht am 3. März 2024"
    assert result.title == "Datenleck bei Onlinehändler: Kundendaten im Netz aufgetaucht"
    assert result.authors == ["Petra Lang"]  # not the commenter "Klaus" from the hCard in the comments
    assert "falsch konfigurierte Datenbank" in result.text
    assert "verdächtige Mail" not in result.text
    assert "Passwort-Manager im Vergleich" not in result.text
    assert result.canonical_url is None
    assert result.language == "de"


def test_str_input_gives_the_same_result_as_bytes(extractor: Extractor) -> None:
    page = PAGES / "en_breach_meta.html"
    url = "https://www.harbortimes.example.com/tech/hospital-breach"
    assert extractor.extract(page.read_text(encoding="utf-8"), url=url) == extractor.extract(
        page.read_bytes(), url=url
    )


@pytest.mark.parametrize("page", ["", b"", "   ", "\x00\x01\x02", os.urandom(50_000)])
def test_empty_or_garbage_input_gives_empty_extraction(extractor: Extractor, page: str | bytes) -> None:
    result = extractor.extract(page, url="https://example.org/a")
    assert result.text == ""
    assert result.url == "https://example.org/a"
    assert result.language is None
    assert result.authors == []


def test_malformed_html_still_yields_text(extractor: Extractor) -> None:
    sentence = "Die Angreifer nutzten eine Lücke im Fernwartungszugang der Stadtverwaltung aus. "
    unclosed = f"<div><p>{sentence * 8}<p><b>Unclosed {sentence * 4}<table><tr><td>"
    page = f"<html><head><title>Angriff</title><body>{unclosed}"
    result = extractor.extract(page)
    assert "Lücke im Fernwartungszugang" in result.text
    assert result.language == "de"
    assert result.url is None


def test_very_large_page_is_cut_and_finishes_quickly(extractor: Extractor) -> None:
    paragraph = (
        "<p>" + "Die Täter verschlüsselten die Server und verlangten ein Lösegeld in Bitcoin. " * 5 + "</p>"
    )
    page = (
        "<html><head><title>Groß</title></head><body><article>"
        + paragraph * 60_000
        + "</article></body></html>"
    )
    assert len(page) > 20_000_000
    started = time.perf_counter()
    result = extractor.extract(page.encode("utf-8"), url="https://example.org/big")
    assert time.perf_counter() - started < 20  # seconds on a busy 2-core machine; about 2 s alone
    assert result.text.startswith("Die Täter verschlüsselten die Server")
    assert len(result.text) < 5_000_000


def test_boilerplate_lines_are_dropped_between_paragraphs() -> None:
    text = "Erster Absatz.\nLesen Sie auch: Ein anderer Artikel\nZweiter Absatz.\n© dpa\nRead more: x"
    assert drop_boilerplate_lines(text) == "Erster Absatz.\nZweiter Absatz."


@pytest.mark.parametrize(
    ("title", "site_words", "expected"),
    [
        ("Headline of the day | The Harbor Times", {"theharbortimes"}, "Headline of the day"),
        ("Aerobuzz.de - CAE bildet Piloten aus", {"aerobuzz"}, "Aerobuzz.de - CAE bildet Piloten aus"),
        ("CAE bildet Piloten aus - Aerobuzz.de", {"aerobuzz"}, "CAE bildet Piloten aus"),
        (
            "Kim Jong Un: Der Diktator ist zurück - Trump",
            {"spiegel"},
            "Kim Jong Un: Der Diktator ist zurück - Trump",
        ),
        ("SPIEGEL | Datenleck bei Händler", {"spiegel"}, "Datenleck bei Händler"),
    ],
)
def test_site_name_is_stripped_only_where_it_is_the_site(
    title: str, site_words: set[str], expected: str
) -> None:
    assert strip_site_name(title, site_words) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Jane Doe and John Roe, Senior Security Correspondent"], ["Jane Doe", "John Roe"]),
        (["Von Anna Schmidt und Jonas Weber"], ["Anna Schmidt", "Jonas Weber"]),
        (
            ["Isabel Caro, Rocío Latorre, José Miguel Wilson"],
            ["Isabel Caro", "Rocío Latorre", "José Miguel Wilson"],
        ),
        (["Michael L. Anderson, PhD"], ["Michael L. Anderson"]),
        (["Jane Doe (jane@example.com) @janedoe 12.03.2024"], ["Jane Doe"]),
        (["Par Claire Martin", "claire martin"], ["Claire Martin"]),
        (["", "  "], []),
    ],
)
def test_author_cleaning(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw) == expected
