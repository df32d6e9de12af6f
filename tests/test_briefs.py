"""Incident briefs built from hand-written German and English coverage, analysed by the real pipelines."""

from __future__ import annotations

import copy
import importlib
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from brief_fixtures import build_corpus

from incident_brief.briefs import history
from incident_brief.briefs.build import BriefBuilder, IncidentInput, _acronym_expansions, _key_facts
from incident_brief.briefs.generate import write_briefs
from incident_brief.briefs.invariants import InvariantCounts, check_brief
from incident_brief.briefs.model import Evidence
from incident_brief.briefs.summarize import Candidate, extractive_summary, shortlist
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


def test_every_statement_cites_evidence_that_exists_at_its_offsets(corpus, briefs):
    counts = InvariantCounts()
    for brief in briefs.values():
        counts.add(check_brief(brief, corpus.texts.get))
    assert counts.violations == []
    assert sum(counts.checked.values()) > 20
    assert {"summary", "timeline", "quote", "requirement", "money", "contradiction"} <= set(counts.checked)


def test_a_wrong_offset_or_a_missing_article_is_a_violation(corpus, briefs):
    brief = copy.deepcopy(briefs["rheinau"])
    first = brief.summary[0].evidence[0]
    brief.summary[0].evidence[0] = Evidence(first.article_id, first.start + 1, first.end + 1, first.language)
    brief.quotes[0].reports[0].evidence = Evidence(10**6, 0, 5, "en")
    counts = check_brief(brief, corpus.texts.get)
    assert [v.kind for v in counts.violations] == ["summary", "quote"]
    assert "no such article" in counts.violations[1].detail


def test_summary_sentences_are_the_cited_sentences_verbatim(corpus, briefs):
    for brief in briefs.values():
        for sentence in brief.summary:
            (evidence,) = sentence.evidence
            assert sentence.text == clean_text(
                corpus.texts[evidence.article_id][evidence.start : evidence.end]
            )


def test_no_two_summary_sentences_are_near_translations(briefs, embedder):
    counts = InvariantCounts()
    for brief in briefs.values():
        counts.add(check_brief(brief, lambda _: "", embedder.embed))
    assert counts.violating()["summary pair"] == 0
    assert counts.checked["summary pair"] >= 3


def test_briefs_of_ecb_incidents_cite_existing_evidence(shared, embedder, tmp_path, monkeypatch):
    """The invariants on two ECB+ topics (four incidents); benchmarks/brief_invariants.py runs all 42."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    brief_invariants = importlib.import_module("brief_invariants")
    records, gold = brief_invariants.load_ecb(shared / "data" / "clustering", topics=2)
    counts = brief_invariants.check_incidents(tmp_path / "ecb.db", records, gold, embedder)
    assert counts.violations == []
    assert counts.checked["summary"] >= 4 * 3  # at least three sentences per incident
    assert counts.checked["summary pair"] >= 4


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


def _stand_in(language: str, entities: list[tuple[str, str]]):
    """What `_acronym_expansions` reads of a report: its entities (text, canonical) and their language."""
    analysis = {"entities": [{"text": t, "canonical": c, "label": "ORG", "start": 0} for t, c in entities]}
    return SimpleNamespace(analysis=analysis, language_at=lambda _: language)


def test_an_acronym_and_its_expansions_are_one_party_across_reports_and_languages():
    lka_en = "State Criminal Police Office of Baden-Württemberg"
    lka_de = "Landeskriminalamt Baden-Württemberg"
    reports = [
        _stand_in("en", [(lka_en, lka_en), ("LKA", lka_en), ("FBI", "Federal Bureau of Investigation")]),
        _stand_in("de", [(lka_de, lka_de), ("LKA", "LKA"), ("BSI", "Bundesamt für Sicherheit")]),
        _stand_in("en", [("FBI", "FBI")]),
    ]
    names = _acronym_expansions(reports, "en")
    assert names["LKA"] == lka_en and names[lka_de] == lka_en  # the German form, in the English brief
    assert names["FBI"] == "Federal Bureau of Investigation"  # bare in one report, expanded in another
    # no shared proper name: "Bundesamt für Sicherheit" is no translation of the FBI's name
    assert "Bundesamt für Sicherheit" not in names
    assert _acronym_expansions(reports, "de")[lka_en] == lka_de


def test_large_incidents_summarise_from_a_bounded_shortlist_of_lead_sentences():
    # 300 reports of 40 sentences: 12,000 candidates, too many for an n x n similarity in memory
    candidates = [
        Candidate(f"Report {a} sentence {p}.", "en", Evidence(a, 100 * p, 100 * p + 20, "en"), p, "2026-03")
        for a in range(300)
        for p in range(40)
    ]
    kept = shortlist(candidates, limit=1000)
    assert len(kept) == 1000
    assert max(candidates[i].position for i in kept) <= 3  # 300 reports x sentences 0-2, then some 4th
    assert kept == sorted(kept)
    vectors = np.random.default_rng(7).standard_normal((len(candidates), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    summary = extractive_summary(candidates, vectors, language="en", independent_sources=300)
    assert len(summary) == 6
    assert all(int(s.text.split()[3].rstrip(".")) < 4 for s in summary)  # only lead sentences qualify


def _analysed(article_id: int, entities: list[tuple] = (), actors: list[dict] = ()):
    """What `_key_facts` reads of a report: its entity mentions (text, label[, role]), actors and outlet."""
    analysis = {
        "entities": [
            {"text": e[0], "canonical": e[0], "label": e[1], "start": 0, "role": e[2] if len(e) > 2 else None}
            for e in entities
        ],
        "actors": list(actors),
    }
    return SimpleNamespace(
        analysis=analysis,
        id=article_id,
        root=article_id,
        name=lambda data: clean_text(data.get("canonical") or data.get("text") or ""),
        article=SimpleNamespace(
            site_name=f"Outlet {article_id}", url=f"https://o{article_id}.example/a", canonical_url=None
        ),
    )


def test_actors_keep_their_kind_and_merge_aliases_written_in_another_case():
    apt29 = {
        "canonical": "APT29",
        "kb_id": "G0016",
        "kind": "group",
        "aliases": [
            {"name": "Cozy Bear", "source": "attack"},
            {"name": "COZY BEAR", "source": "microsoft"},
            {"name": "apt29", "source": "microsoft"},  # the name itself, in another case
            {"name": "Midnight Blizzard", "source": "microsoft"},
        ],
    }
    campaign = {"canonical": "SolarWinds Compromise", "kb_id": "C0024", "kind": "campaign", "aliases": []}
    stored_before_kinds = {"canonical": "Akira", "kb_id": "G1024", "aliases": []}  # an older analysis
    facts = _key_facts([_analysed(1, actors=[apt29, campaign]), _analysed(2, actors=[stored_before_kinds])])
    assert [(a.name, a.kind, a.label) for a in facts.actors] == [
        ("APT29", "group", "Threat actor"),
        ("SolarWinds Compromise", "campaign", "Campaign"),
        ("Akira", "group", "Threat actor"),
    ]
    assert [(a.name, a.source) for a in facts.actors[0].aliases] == [
        ("Cozy Bear", "attack, microsoft"),
        ("Midnight Blizzard", "microsoft"),
    ]


def test_a_name_the_reports_disagree_on_is_shown_once_under_the_kind_most_mentions_have():
    reports = [
        # "PixieDrop": a product twice, an organisation once -> a product
        _analysed(1, [("PixieDrop", "PRODUCT"), ("PixieDrop", "ORG"), ("Quartz Threat Labs", "ORG")]),
        _analysed(2, [("PixieDrop", "PRODUCT"), ("Quartz Threat Labs", "ORG")]),
        # "Logiciels Boréal": tagged a person more often, but an organisation in report 4 -> an organisation
        _analysed(3, [("Logiciels Boréal", "PER"), ("Logiciels Boréal", "PER"), ("Claire Dumont", "PER")]),
        # "Claire Dumont": tagged an organisation once, but a report gives her a role -> a person
        _analysed(
            4, [("Logiciels Boréal", "ORG"), ("Claire Dumont", "PER", "CEO"), ("Claire Dumont", "ORG")]
        ),
        # "Nordlicht Software": only ever a person, but one mention gives its legal form -> an organisation
        _analysed(5, [("Nordlicht Software", "PER"), ("Nordlicht Software GmbH", "PER")]),
        _analysed(6, [("Nordlicht Software", "PER")]),
    ]
    for report in reports[4:]:  # the canonical name drops the legal form, as the canonicaliser does
        for entity in report.analysis["entities"]:
            entity["canonical"] = "Nordlicht Software"
    facts = _key_facts(reports)
    organisations = {o.name: sorted(o.article_ids) for o in facts.organisations}
    assert organisations == {
        "Quartz Threat Labs": [1, 2],
        "Logiciels Boréal": [3, 4],
        "Nordlicht Software": [5, 6],
    }
    assert {p.name: sorted(p.article_ids) for p in facts.products} == {"PixieDrop": [1, 2]}
    assert [(p.name, p.role, sorted(p.article_ids)) for p in facts.people] == [
        ("Claire Dumont", "CEO", [3, 4])
    ]
