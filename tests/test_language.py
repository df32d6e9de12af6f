from __future__ import annotations

import pytest

from incident_brief.corpus.language import LanguageIdentifier


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Unbekannte Täter haben die Server der Stadtwerke verschlüsselt und fordern ein Lösegeld. "
            "Das Landeskriminalamt ermittelt, die Versorgung ist nicht beeinträchtigt.",
            "de",
        ),
        (
            "Attackers copied the records of about 120,000 patients during an intrusion that went "
            "unnoticed for nearly three weeks, the hospital chain said on Tuesday.",
            "en",
        ),
        (
            "Des milliers de clients d'une banque en ligne ont reçu des messages frauduleux les invitant "
            "à confirmer leurs identifiants sur un site imitant celui de l'établissement.",
            "fr",
        ),
    ],
)
def test_identifies_news_paragraphs(identifier: LanguageIdentifier, text: str, language: str) -> None:
    guess = identifier.identify(text)
    assert guess.language == language
    assert guess.confidence > 0.9


@pytest.mark.parametrize(
    "text", ["", "   \n", "Hallo Welt", "12345 !!! 678", "@@@ ### $$$ %%% ^^^ &&& *** (((" * 3]
)
def test_too_short_or_no_letters_gives_none(identifier: LanguageIdentifier, text: str) -> None:
    guess = identifier.identify(text)
    assert guess.language is None
    assert guess.confidence == 0.0


def test_instances_are_independent() -> None:
    first, second = LanguageIdentifier(), LanguageIdentifier()
    text = "Die Polizei warnt vor gefälschten Nachrichten, die angeblich von Paketdiensten stammen."
    assert first.identify(text) == second.identify(text)
