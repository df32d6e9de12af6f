"""French, the shipped way: a blank pipeline (no French NER model installs from PyPI) with our components.
People come from first names and job titles (`incident_person_names`), quotes from the French cue words,
guillemets with the attribution inside them (an incise), "selon X". Expected values are read off the texts.
"""

import pytest

from incident_brief.config import NlpSettings
from incident_brief.nlp.pipelines import PipelineSet


@pytest.fixture(scope="module")
def french():
    return PipelineSet(NlpSettings()).get("fr").nlp


@pytest.fixture(scope="module")
def german():
    return PipelineSet(NlpSettings()).get("de").nlp


def people(doc) -> list[str]:
    return [e.text for e in doc.ents if e.label_ == "PER"]


def said(doc) -> list[tuple[str, str | None, str]]:
    return [(q.kind, q.speaker.canonical if q.speaker else None, q.text) for q in doc._.quotes]


def test_people_from_first_names_and_titles_without_an_ner_model(french):
    doc = french(
        "La mairie de Quimperlé a été visée par une cyberattaque. La maire Nolwenn Le Bihan a prévenu "
        "la CNIL. Ewen Kerdraon, directeur général des services, a confirmé l'incident. L'ARS Centre-Val "
        "de Loire suit le dossier avec le président Corentin Guéguen."
    )
    assert people(doc) == ["Nolwenn Le Bihan", "Ewen Kerdraon", "Corentin Guéguen"]
    # Nolwenn and Ewen are no listed first names: a title before ("maire") or after the name makes them
    # people; Corentin is listed; "Val" is too, but "Centre-Val de Loire" is a region; "CNIL" and "ARS"
    # are acronyms.


def test_a_pipeline_with_an_ner_model_keeps_the_model_people_only(german):
    doc = german("Isabelle Marchand leitet das Krankenhaus. Der Ausfall betraf auch Val Müller.")
    assert all(e._.entity_source != "pattern" for e in doc.ents if e.label_ == "PER")


def test_quotes_with_the_attribution_after_or_inside_the_guillemets(french):
    doc = french(
        "« Nous avons coupé tous les serveurs par précaution, a expliqué lundi Claire Fontaine, directrice "
        "générale de la clinique. Les urgences restent ouvertes. » Selon elle, aucune donnée de patient "
        "n'a été copiée.\n"
        "« Il est trop tôt pour désigner un coupable », dit Marc Olivier, enquêteur à la gendarmerie.\n"
        "« Nous ne paierons pas, a-t-elle martelé. C'est une question de principe. »"
    )
    assert said(doc) == [
        (
            "direct",
            "Claire Fontaine",
            "Nous avons coupé tous les serveurs par précaution […] Les urgences restent ouvertes.",
        ),
        ("indirect", "Claire Fontaine", "aucune donnée de patient n'a été copiée"),
        ("direct", "Marc Olivier", "Il est trop tôt pour désigner un coupable"),
        ("direct", "Claire Fontaine", "Nous ne paierons pas […] C'est une question de principe."),
    ]
    incise = doc._.quotes[0]
    assert doc.text[incise.start : incise.end].startswith("Nous avons coupé") and incise.cue == "expliqué"


def test_reported_speech_after_que(french):
    doc = french(
        "Le maire de Brest, Loïc Kerhervé, a précisé que les données des habitants n'avaient pas été "
        "touchées. Selon la préfecture, il faudra deux semaines pour tout rétablir."
    )
    assert [(kind, text) for kind, _, text in said(doc)] == [
        ("indirect", "les données des habitants n'avaient pas été touchées"),
        ("indirect", "il faudra deux semaines pour tout rétablir"),
    ]
    assert said(doc)[0][1] == "Loïc Kerhervé"  # a listed first name makes him a person


def test_selon_without_a_source_is_no_quote(french):
    doc = french(
        "Le rançongiciel fonctionne selon le modèle de l'affiliation.\n"
        "Un plan blanc déclenché dès mardi\nSelon la préfecture, le réseau a été coupé dans la nuit."
    )
    assert [(kind, text) for kind, _, text in said(doc)] == [
        ("indirect", "le réseau a été coupé dans la nuit")
    ]


def test_incise_ends_where_the_quote_resumes_and_yields_to_an_attribution_after(french):
    doc = french(
        "« Les sauvegardes, a indiqué le directeur Marc Olivier, sont intactes. »\n"
        "« Le rapport, comme l'indique Microsoft, sera publié demain », a déclaré Claire Fontaine.\n"
        "Marc Olivier était présent. « Aucune donnée n'a fuité », a-t-il été précisé."
    )
    assert said(doc) == [
        ("direct", "Marc Olivier", "Les sauvegardes […] sont intactes."),
        ("direct", "Claire Fontaine", "Le rapport, comme l'indique Microsoft, sera publié demain"),
        ("direct", None, "Aucune donnée n'a fuité"),  # impersonal: nobody is named
    ]


def test_cue_words_used_as_nouns_open_no_reported_speech(french):
    doc = french(
        "Le directeur Marc Olivier était absent. L'annonce que la mairie a faite lundi a surpris. "
        "C'est le juge que la mairie a saisi."
    )
    assert said(doc) == []
