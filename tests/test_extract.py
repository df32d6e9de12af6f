from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from incident_brief.corpus.extract import (
    Extractor,
    clean_authors,
    date_evidence,
    drop_boilerplate_lines,
    parse_visible_date,
    strip_site_name,
)
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


# --- publication dates -------------------------------------------------------------------------

ARTICLE_BODY = (
    "<p>Unbekannte sind in das Netz eines Versorgers eingedrungen und haben Kundendaten kopiert. "
    "Das Unternehmen hat die Polizei eingeschaltet und die betroffenen Kunden informiert.</p>"
) * 3


def dated_page(head: str = "", after_headline: str = "", end: str = "") -> str:
    return (
        f"<html><head><title>Datenleck beim Versorger</title>{head}</head><body>"
        "<header><h1 class='logo'>Stadtanzeiger</h1><nav><a href='/'>Start</a></nav></header>"
        f"<article><h1>Datenleck beim Versorger</h1>{after_headline}{ARTICLE_BODY}{end}</article>"
        "</body></html>"
    )


def json_ld(**fields: str) -> str:
    values = ", ".join(f'"{key}": "{value}"' for key, value in fields.items())
    return f'<script type="application/ld+json">{{"@type": "NewsArticle", {values}}}</script>'


def test_byline_beats_a_declared_date_that_disagrees(extractor: Extractor) -> None:
    page = dated_page(
        head=json_ld(datePublished="2019-01-01T08:00:00+01:00"),  # a template's date
        after_headline="<p class='meta'>Von Petra Lang | Veröffentlicht am 3. März 2024</p>",
    )
    assert extractor.extract(page).published == "2024-03-03"


def test_declared_date_time_is_kept_when_the_byline_names_its_day(extractor: Extractor) -> None:
    page = dated_page(
        head=json_ld(datePublished="2024-03-03T21:15:00+01:00"),
        after_headline="<p>3. März 2024, 21:15 Uhr</p>",
    )
    assert extractor.extract(page).published == "2024-03-03T21:15:00+01:00"


def test_byline_showing_the_last_update_keeps_the_original_publication(extractor: Extractor) -> None:
    page = dated_page(
        head=json_ld(datePublished="2021-12-14T15:41:07+01:00", dateModified="2022-02-04T15:33:00+01:00"),
        after_headline="<p>04.02.2022 | 15:33 Uhr</p>",  # the page shows the update without saying so
    )
    result = extractor.extract(page)
    assert result.published == "2021-12-14T15:41:07+01:00"
    assert result.modified == "2022-02-04T15:33:00+01:00"


def test_utc_date_time_takes_the_local_day_the_byline_shows(extractor: Extractor) -> None:
    # 03:37 UTC is 23:37 the evening before in UTC-4, the day the page shows
    page = dated_page(
        head='<meta property="article:published_time" content="2022-05-04T03:37:37+00:00">',
        after_headline=(
            '<time class="entry-date updated" datetime="2022-05-03T23:37:37-04:00">'
            "3 May, 2022, 11:37 pm</time>"
        ),
    )
    assert extractor.extract(page).published == "2022-05-03"


def test_update_expiry_aside_and_version_dates_are_not_the_byline(extractor: Extractor) -> None:
    page = dated_page(
        after_headline=(
            "<span class='updated'>2023-01-20</span>"  # hAtom: "updated" alone is the last change
            "<p>Aktualisiert am 20.01.2023</p>"
            "<div class='related-articles'><a href='/x'>Älterer Beitrag</a> <span>01.01.2020</span></div>"
            "<p>Video verfügbar bis 28.02.2023</p>"
            "<p>WordPress 4.8.12</p>"
            "<p>Erschienen am 02.01.2023</p>"
        ),
    )
    assert extractor.extract(page).published == "2023-01-02"


def test_labelled_date_far_below_the_headline(extractor: Extractor) -> None:
    labelled = "<p>Erstellt am: 01.11.2023</p><div class='comments'><p>am 05.11.2023</p></div>"
    page = dated_page(end=ARTICLE_BODY + labelled)  # over BYLINE_SEARCH_CHARS after the headline
    evidence = date_evidence(page)
    assert evidence.shown is None
    assert evidence.labelled == "2023-11-01"
    assert extractor.extract(page).published == "2023-11-01"


def test_whole_hour_late_evening_utc_is_a_local_midnight(extractor: Extractor) -> None:
    page = dated_page(head='<meta property="article:published_time" content="2021-11-04T23:00:00+00:00">')
    assert extractor.extract(page).published == "2021-11-05"


@pytest.mark.parametrize("declared", ["1970-01-01T00:00:00Z", "2999-12-31T10:00:00+01:00"])
def test_declared_dates_before_1995_or_after_today_are_ignored(extractor: Extractor, declared: str) -> None:
    page = dated_page(head=json_ld(datePublished=declared))
    assert date_evidence(page).declared is None
    assert extractor.extract(page).published is None


def test_impossible_declared_time_keeps_its_day(extractor: Extractor) -> None:
    page = dated_page(head=json_ld(datePublished="2024-03-03T25:99:00"))
    assert extractor.extract(page).published == "2024-03-03"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Veröffentlicht am 3. März 2024", "2024-03-03"),
        ("Published: 12 June 2023", "2023-06-12"),
        ("Posted on September 21, 2020 by Adi", "2020-09-21"),
        ("Publié le 5 janvier 2021", "2021-01-05"),
        ("Publicado el 2 de marzo de 2021", "2021-03-02"),
        ("Berlin, 28.10.2021, 058/21", "2021-10-28"),
        ("4.\u2009 2.\u20092022.", "2022-02-04"),  # thin spaces
        ("Written: 2023-11-07 15:03:30", "2023-11-07"),
        ("19.2.2020 klo 14.00", "2020-02-19"),
        ("Saison 2022/23", None),
        ("vor 2 Tagen", None),
        ("Lesezeit: 4 Minuten", None),
    ],
)
def test_dates_written_out_in_a_line(line: str, expected: str | None) -> None:
    assert parse_visible_date(line) == expected


def test_plain_text_headline_may_end_with_a_quotation(extractor: Extractor) -> None:
    text = "Rançongiciel à Brest : « Nous ne paierons pas »\nLa mairie refuse de verser la rançon.\n"
    extraction = extractor.extract(text.encode("utf-8"), "file:///tmp/brest.txt", "text/plain")
    assert extraction.title == "Rançongiciel à Brest : « Nous ne paierons pas »"
    assert extraction.text == "La mairie refuse de verser la rançon."  # the headline is not body text
    one_line = extractor.extract(b"Une seule ligne, sans titre.", None, "text/plain")
    assert one_line.title is None and one_line.text == "Une seule ligne, sans titre."
