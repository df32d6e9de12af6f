"""The frozen subword layer (incident_brief.nlp.subwords) and the shipped German NER pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy
from thinc.api import Adam

from incident_brief.nlp.subwords import SubwordEmbed, SubwordTable, SubwordTableError, SubwordVectors

PIPELINE = Path(__file__).resolve().parents[1] / "models" / "pipelines" / "de"
# Piece ids in the USE multilingual v3 vocabulary, read off its tokenizer by hand:
# "Sicherheitschef" -> "▁Sicherheits" (55924) + "chef" (41763), "Amazon" -> "▁Amazon" (10076).
SICHERHEITS, CHEF, AMAZON = 55924, 41763, 10076


@pytest.fixture
def table_path(tmp_path: Path) -> Path:
    """A 3-piece, 4-dim table whose rows make the expected means easy to work out by hand."""
    path = tmp_path / "subwords.npz"
    vectors = np.array([[0, 0, 0, 4], [2, 0, 0, 0], [0, 2, 0, 0]], dtype=np.float16)
    np.savez(path, piece_ids=np.array([AMAZON, CHEF, SICHERHEITS], dtype=np.int32), vectors=vectors)
    return path


@pytest.fixture
def nlp() -> spacy.language.Language:
    return spacy.blank("de")


def layer(table_path: Path, **kwargs) -> SubwordVectors:
    model = SubwordVectors(width=4, table_path=str(table_path), **kwargs)
    model.initialize()
    return model


def test_each_token_gets_the_mean_of_its_known_pieces(table_path, nlp):
    docs = [nlp("Der Sicherheitschef von Amazon"), nlp("Tisch")]
    outputs, _ = layer(table_path)(docs, is_train=False)
    assert [output.shape for output in outputs] == [(4, 4), (1, 4)]
    np.testing.assert_array_equal(outputs[0][1], [1, 1, 0, 0])  # mean of (2,0,0,0) and (0,2,0,0)
    np.testing.assert_array_equal(outputs[0][3], [0, 0, 0, 4])
    np.testing.assert_array_equal(outputs[0][0], [0, 0, 0, 0])  # "Der": no piece in the table
    np.testing.assert_array_equal(outputs[1][0], [0, 0, 0, 0])


def test_an_empty_doc_gives_an_empty_matrix(table_path, nlp):
    outputs, _ = layer(table_path)([nlp("")], is_train=False)
    assert outputs[0].shape == (0, 4)


def test_word_vectors_are_cached_per_token_string_and_the_cache_is_bounded(table_path):
    model = layer(table_path, cache_size=2)
    table: SubwordTable = model.attrs["subword_table"]
    first = table.word_vector("Amazon")
    assert table.word_vector("Amazon") is first
    for word in ("Sicherheitschef", "Tisch", "Stuhl"):
        table.word_vector(word)
    assert len(table._cache) <= 2


def test_to_disk_and_from_disk_give_identical_vectors(table_path, nlp, tmp_path):
    docs = [nlp("Der Sicherheitschef von Amazon sagte nichts.")]
    original = layer(table_path)
    original.to_disk(tmp_path / "layer.bin")
    restored = SubwordVectors(width=4, table_path=None).from_disk(tmp_path / "layer.bin")
    for before, after in zip(
        original(docs, is_train=False)[0], restored(docs, is_train=False)[0], strict=True
    ):
        np.testing.assert_array_equal(before, after)


def test_training_leaves_the_table_frozen(table_path, nlp):
    docs = [nlp("Der Sicherheitschef von Amazon")]
    subwords = SubwordVectors(width=4, table_path=str(table_path))
    model = SubwordEmbed(width=8, attrs=["NORM", "SHAPE"], rows=[100, 50], subwords=subwords)
    model.initialize(X=docs)
    before = subwords.attrs["subword_table"].vectors.copy()
    outputs, backprop = model(docs, is_train=True)
    assert outputs[0].shape == (4, 8)
    backprop([np.ones_like(output) for output in outputs])
    model.finish_update(Adam(0.1))
    np.testing.assert_array_equal(subwords.attrs["subword_table"].vectors, before)


def test_a_missing_table_is_a_clear_error(tmp_path):
    with pytest.raises(SubwordTableError, match="does not exist"):
        SubwordVectors(width=4, table_path=str(tmp_path / "missing.npz")).initialize()


def test_a_table_of_another_width_is_refused(table_path):
    with pytest.raises(SubwordTableError, match="width 4"):
        SubwordVectors(width=8, table_path=str(table_path)).initialize()


def test_a_file_that_is_not_a_table_is_refused(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not an npz file")
    with pytest.raises(SubwordTableError, match="not a subword table"):
        SubwordVectors(width=4, table_path=str(path)).initialize()


@pytest.fixture(scope="module")
def german() -> spacy.language.Language:
    return spacy.load(PIPELINE)


def entities(doc) -> set[tuple[str, str]]:
    return {(ent.text, ent.label_) for ent in doc.ents}


def test_shipped_pipeline_is_named_and_versioned(german):
    assert (german.meta["name"], german.meta["version"]) == ("incident_brief_de", "0.1.0")
    assert german.pipe_names == ["sentencizer", "tok2vec", "ner"]


CISO_SENTENCE = (
    "CJ Moses, Chief Information Security Officer von Amazon, sagte gegenüber Bloomberg, "
    "der Angriff sei abgewehrt worden."
)


def test_shipped_pipeline_tags_the_ciso_sentence(german):
    doc = german(CISO_SENTENCE)
    found = entities(doc)
    assert any("Moses" in text and label == "PER" for text, label in found), found
    assert ("Amazon", "ORG") in found
    assert len(list(doc.sents)) == 1


@pytest.mark.xfail(
    strict=True,
    reason="known miss of 0.1.0: 'Bloomberg' is tagged PER (its one GermEval training example is a person); "
    "the organisation gazetteer fixes it in the full pipeline (tests/test_analysis.py)",
)
def test_shipped_pipeline_tags_bloomberg_as_the_news_agency(german):
    assert ("Bloomberg", "ORG") in entities(german(CISO_SENTENCE))


# Hand-labelled German news sentences (outer entities, GermEval conventions with OTH as MISC).
HAND_LABELLED = [
    (
        "Angela Merkel traf am Montag in Paris den französischen Präsidenten.",
        {("Angela Merkel", "PER"), ("Paris", "LOC")},
    ),
    (
        "Die Deutsche Telekom meldete am Dienstag einen Angriff auf ihre Server in Bonn.",
        {("Deutsche Telekom", "ORG"), ("Bonn", "LOC")},
    ),
    (
        "Nach Angaben von Microsoft nutzten die Angreifer eine Lücke in Exchange aus.",
        {("Microsoft", "ORG"), ("Exchange", "MISC")},
    ),
    (
        "Der Chef von Siemens, Roland Busch, äußerte sich in München zu dem Vorfall.",
        {("Siemens", "ORG"), ("Roland Busch", "PER"), ("München", "LOC")},
    ),
    (
        "Das Bundeskriminalamt ermittelt gegen eine Gruppe aus Russland.",
        {("Bundeskriminalamt", "ORG"), ("Russland", "LOC")},
    ),
    (
        "Laut Reuters hat die Europäische Union neue Sanktionen beschlossen.",
        {("Reuters", "ORG"), ("Europäische Union", "ORG")},
    ),
    (
        "Olaf Scholz sprach in Berlin mit Vertretern von Volkswagen.",
        {("Olaf Scholz", "PER"), ("Berlin", "LOC"), ("Volkswagen", "ORG")},
    ),
    (
        "Die Zeitung Süddeutsche Zeitung berichtete zuerst über den Fall in Österreich.",
        {("Süddeutsche Zeitung", "ORG"), ("Österreich", "LOC")},
    ),
]


def test_shipped_pipeline_finds_most_hand_labelled_entities(german):
    expected = sum(len(gold) for _, gold in HAND_LABELLED)
    found = sum(
        len(entities(doc) & gold)
        for doc, (_, gold) in zip(german.pipe(t for t, _ in HAND_LABELLED), HAND_LABELLED, strict=True)
    )
    # a statistical model: require most, not all, of the hand-labelled entities (exact text and label)
    assert found / expected >= 0.75, f"{found} of {expected}"
