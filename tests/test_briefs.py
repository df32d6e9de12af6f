"""Incident briefs built from hand-written German and English coverage, analysed by the real pipelines."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest
from brief_fixtures import build_corpus

from incident_brief.briefs import history
from incident_brief.briefs.build import BriefBuilder, IncidentInput
from incident_brief.briefs.generate import write_briefs
from incident_brief.briefs.text import clean_text
from incident_brief.briefs.vectors import SentenceIndex
from incident_brief.corpus.store import Store
from incident_brief.nlp.embeddings import UseEmbedder

GENERATED_AT = "2026-05-03T12:00:00+00:00"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("briefs") / "brief.db")


@pytest.fixture(scope="module")
def embedder():
    return UseEmbedder()


@pytest.fixture(scope="module")
def briefs(corpus, embedder):
    with Store(corpus.path) as store:
        builder = BriefBuilder(store, SentenceIndex(store, embedder), language="en")
        return {
            key: builder.build(IncidentInput(key, ids), GENERATED_AT) for key, ids in corpus.incidents.items()
        }


def all_evidence(brief):
    """Every (evidence, text the brief shows for it) pair in a brief."""
    for sentence in brief.summary:
        for evidence in sentence.evidence:
            yield evidence, sentence.text
    for entry in brief.timeline:
        # an event several reports date is shown in the first report's words; the others also cite it
        first, *others = entry.evidence
        yield first, entry.sentence
        for evidence in others:
            yield evidence, None
    for group in brief.quotes:
        for report in group.reports:
            yield report.evidence, report.text
    for requirement in brief.requirements:
        for evidence in requirement.evidence:
            yield evidence, None
    for money in brief.key_facts.money:
        yield money.evidence, money.text
    for contradiction in brief.confidence.contradictions:
        for value in contradiction.values:
            yield value.evidence, value.text


def test_every_statement_cites_evidence_that_exists_at_its_offsets(corpus, briefs):
    checked = 0
    for brief in briefs.values():
        for evidence, shown in all_evidence(brief):
            text = corpus.texts[evidence.article_id]
            assert 0 <= evidence.start < evidence.end <= len(text)
            if shown is not None:
                # what the brief shows is in the cited characters (cleaned; a quote may lose a comma)
                assert shown.rstrip(",;: ") in clean_text(text[evidence.start : evidence.end])
            checked += 1
    assert checked > 20


def test_summary_sentences_are_the_cited_sentences_verbatim(corpus, briefs):
    for brief in briefs.values():
        for sentence in brief.summary:
            (evidence,) = sentence.evidence
            assert sentence.text == clean_text(
                corpus.texts[evidence.article_id][evidence.start : evidence.end]
            )


def test_no_two_summary_sentences_are_near_translations(briefs, embedder):
    for brief in briefs.values():
        vectors = embedder.embed([s.text for s in brief.summary])
        for a, b in itertools.combinations(range(len(vectors)), 2):
            # vectors were stored as float16 for the selection; recomputed in float32 they may differ
            # in the third decimal
            assert float(vectors[a] @ vectors[b]) <= 0.8 + 0.005


def test_german_and_english_coverage_is_one_brief_with_sources_in_both_languages(briefs):
    brief = briefs["rheinau"]
    assert brief.languages == ["de", "en"]
    assert {s.language for s in brief.summary} >= {"en"}
    assert 3 <= len(brief.summary) <= 6


def test_a_syndicated_copy_is_listed_but_not_counted_as_a_witness(corpus, briefs):
    brief = briefs["rheinau"]
    copy = brief.source(corpus.ids["netzbote-copy"])
    assert copy.syndicated_copy_of == corpus.ids["netzbote"] and not copy.independent
    assert brief.confidence.independent_sources == 4
    assert brief.confidence.outlets == 4
    cited = {e.article_id for s in brief.summary for e in s.evidence}
    assert corpus.ids["netzbote-copy"] not in cited


def test_the_same_quote_in_translation_is_shown_once_with_all_its_sources(corpus, briefs):
    brief = briefs["rheinau"]
    groups = [g for g in brief.quotes if any("Versorgung unserer" in r.text for r in g.reports)]
    assert len(groups) == 1
    (group,) = groups
    sources = {r.evidence.article_id for r in group.reports}
    assert sources == {corpus.ids[n] for n in ("netzbote", "netzbote-copy", "hanseblick", "gridwatch")}
    assert {r.language for r in group.reports} == {"de", "en"}
    assert group.speaker.name == "Jens Ober"
    assert group.language == "en"  # the wording shown is the one in the brief's language
    assert not any("never at risk" in r.text for g in brief.quotes if g is not group for r in g.reports)


def test_contradicting_figures_are_flagged_and_agreeing_dates_are_not(briefs):
    contradictions = briefs["rheinau"].confidence.contradictions
    figures = [c for c in contradictions if c.kind == "figure"]
    assert [sorted(v.value for v in c.values) for c in figures] == [["40 servers", "60 servers"]]
    # both English reports say "overnight on Monday ... on Tuesday": no date conflict
    assert not [c for c in contradictions if c.kind == "date"]
    assert any("contradiction" in reason for reason in briefs["rheinau"].confidence.reasons)


def test_timeline_keeps_event_time_apart_from_publication_time(corpus, briefs):
    timeline = briefs["rheinau"].timeline
    monday = [e for e in timeline if e.value == "2026-03-02"]  # "in der Nacht zum Montag", "on Monday"
    assert monday and monday[0].precision == "day"
    assert monday[0].reported.startswith("2026-03-03")  # published the day after
    starts = [e.value[:10] for e in timeline]
    assert starts == sorted(starts)


def test_one_article_incident_has_no_empty_sections(briefs):
    brief = briefs["single"]
    assert len(brief.sources) == 1 and brief.confidence.independent_sources == 1
    assert brief.timeline == [] and brief.quotes == [] and brief.requirements == []
    assert brief.confidence.level == "low"
    assert 1 <= len(brief.summary) <= 3
    assert brief.headline == "Brightwell Logistics takes tracking site offline"


def test_the_requested_language_is_preferred(corpus, embedder):
    with Store(corpus.path) as store:
        index = SentenceIndex(store, embedder)
        incident = IncidentInput("rheinau", corpus.incidents["rheinau"])
        german = BriefBuilder(store, index, language="de").build(incident, GENERATED_AT)
        english = BriefBuilder(store, index, language="en").build(incident, GENERATED_AT)
    share = {
        brief.language: sum(s.language == brief.language for s in brief.summary) / len(brief.summary)
        for brief in (german, english)
    }
    assert share["de"] > 0.5 and share["en"] > 0.5
    assert german.headline in {s.title for s in german.sources if s.language == "de"}
    assert english.headline in {s.title for s in english.sources if s.language == "en"}


def test_requirements_carry_requester_and_controls_when_the_analysis_has_them(corpus, briefs):
    analysed = any(
        Store(corpus.path).get_analysis(i).get("requirements") for i in corpus.incidents["rheinau"]
    )
    if not analysed:
        pytest.skip("this analysis pipeline extracts no requirements")
    requirements = briefs["rheinau"].requirements
    assert requirements
    for requirement in requirements:
        assert requirement.evidence and len(requirement.controls) <= 3


def test_what_changed_is_kept_per_incident(corpus, embedder, tmp_path):
    path = tmp_path / "copy.db"
    shutil.copy(corpus.path, path)
    first = [corpus.ids[n] for n in ("netzbote", "netzbote-copy", "gridwatch")]
    second = corpus.incidents["rheinau"]
    clock = iter(["2026-05-03T10:00:00+00:00", "2026-05-04T10:00:00+00:00"])
    with Store(path) as store:
        builder = BriefBuilder(store, SentenceIndex(store, embedder))
        for members in (first, second):
            write_briefs(
                store, builder, [IncidentInput("rheinau", members)], tmp_path / "out", formats=["json"],
                clock=lambda: next(clock),
            )  # fmt: skip
        latest = history.latest(store, "rheinau")
        rows = history.latest_rows(store)
        snapshots = store.query("SELECT count(*) FROM brief_snapshots WHERE incident_id = 'rheinau'")[0][0]
    assert snapshots == 2
    assert latest.changes.previous_generated_at == "2026-05-03T10:00:00+00:00"
    assert sorted(latest.changes.new_sources) == sorted({corpus.ids["hanseblick"], corpus.ids["utilitydive"]})
    assert [row.incident_id for row in rows] == ["rheinau"] and rows[0].sources == 5


class CountingEmbedder:
    name = "counting"
    dimension = 4

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts):
        self.texts += len(texts)
        vectors = np.array([[len(t), t.count("e"), t.count(" "), 1.0] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_sentence_vectors_are_computed_once_per_text(corpus, tmp_path):
    path = tmp_path / "copy.db"
    shutil.copy(corpus.path, path)
    embedder = CountingEmbedder()
    with Store(path) as store:
        article = store.get_article(corpus.ids["gridwatch"])
        index = SentenceIndex(store, embedder)
        first = index.get([article])[article.id]
        count = embedder.texts
        again = SentenceIndex(store, embedder).get([article])[article.id]
        assert embedder.texts == count and len(first.spans) == count >= 4
        assert np.allclose(first.vectors, again.vectors, atol=1e-3)
        article.text += "\nA further paragraph about the attack was added later in the day."
        article.content_hash = "changed"
        SentenceIndex(store, embedder).get([article])
        assert embedder.texts == 2 * count + 1  # the changed text is split and embedded again


def tiny_seq2seq(path: Path) -> Path:
    """A randomly initialised two-layer T5 and a word-level tokenizer, saved as a transformers model."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = [
        "<pad>",
        "</s>",
        "<unk>",
        *"the attackers encrypted servers utility police ransom said .".split(),
    ]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    config = transformers.T5Config(
        vocab_size=len(words), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_decoder_layers=1, num_heads=2,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.T5ForConditionalGeneration(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def test_abstractive_rewrite_still_cites_its_source_sentences(corpus, embedder, briefs, tmp_path):
    from incident_brief.briefs.abstractive import Seq2SeqRewriter

    model = tiny_seq2seq(tmp_path / "tiny-t5")
    rewriter = Seq2SeqRewriter(str(model), max_new_tokens=12)
    with Store(corpus.path) as store:
        builder = BriefBuilder(store, SentenceIndex(store, embedder), rewriter=rewriter)
        brief = builder.build(IncidentInput("rheinau", corpus.incidents["rheinau"]), GENERATED_AT)
    extract = briefs["rheinau"].summary
    assert brief.method == f"abstractive:{model}"
    assert len(brief.summary) >= len(extract)
    extract_evidence = {e for s in extract for e in s.evidence}
    for sentence in brief.summary:
        assert sentence.text and sentence.evidence
        assert set(sentence.evidence) <= extract_evidence  # written from extracted sentences only
        for evidence in sentence.evidence:
            assert corpus.texts[evidence.article_id][evidence.start : evidence.end].strip()


def test_an_unloadable_summary_model_is_a_model_error(tmp_path):
    from incident_brief.briefs.abstractive import Seq2SeqRewriter
    from incident_brief.errors import ModelError

    with pytest.raises(ModelError, match="cannot load the summary model"):
        Seq2SeqRewriter(str(tmp_path / "no-such-model"))
