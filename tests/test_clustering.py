import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from incident_corpus import SAME_INCIDENT, add, article, build

from incident_brief.config import ClusterSettings, NlpSettings
from incident_brief.corpus.store import Store
from incident_brief.errors import UsageError
from incident_brief.nlp.analysis import Analyzer, analyze_store
from incident_brief.nlp.clustering import (
    ACTOR_PREFIX,
    FEATURES,
    FEATURES_VERSION,
    TYPE_PREFIX,
    ArticleFeatures,
    Clusterer,
    Weights,
    analysis_dates,
    analysis_entities,
    analysis_specifics,
    article_terms,
    average_linkage,
    incident_types,
    pair_features,
)
from incident_brief.nlp.incidents import (
    cluster_store,
    merge_incidents,
    move_article,
    pin_article,
    split_incident,
    undo_decision,
)

SETTINGS = ClusterSettings()


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The five test articles stored and analysed once; tests work on copies."""
    path = tmp_path_factory.mktemp("corpus") / "analysed.db"
    ids = build(path)
    return path, ids


@pytest.fixture
def corpus(analysed, tmp_path):
    path, ids = analysed
    copy = tmp_path / "brief.db"
    shutil.copy(path, copy)
    return copy, ids


def incident_of(store: Store) -> dict[int, str]:
    return store.memberships()


def test_cross_lingual_same_incident_together_same_company_different_incident_apart(corpus):
    path, ids = corpus
    with Store(path) as store:
        report = cluster_store(store, SETTINGS)
        placed = incident_of(store)
    assert report.clustered == 5 and report.featurized == 5 and report.without_analysis == 0
    for german, english in SAME_INCIDENT:
        assert placed[ids[german]] == placed[ids[english]], (german, english)
    # Same company (Halvorsen Logistik), different incidents: ransomware in March, DDoS in May.
    assert placed[ids["halvorsen-ransomware-de"]] != placed[ids["halvorsen-ddos-de"]]
    assert placed[ids["kelmar-breach-en"]] not in {placed[ids[n]] for pair in SAME_INCIDENT for n in pair}
    assert report.incidents == 3


def copy_analyses(source, store: Store) -> None:
    with Store(source) as analysed, store.transaction() as db:
        for row in analysed.query(
            "SELECT a.url_key, n.* FROM analyses n JOIN articles a ON a.id = n.article_id"
        ):
            target = store.article_id_for_key(row["url_key"])
            if target is not None:
                store.write_analysis(
                    db, target, row["pipeline"], row["content_hash"], json.loads(row["result"])
                )


def test_ids_stay_stable_over_batches_and_reruns(analysed, tmp_path):
    source, ids = analysed
    path = tmp_path / "incremental.db"
    first = ["halvorsen-ransomware-de", "halvorsen-ddos-en"]
    with Store(path) as store:
        add(store, *(article(n) for n in first))
        assert cluster_store(store, SETTINGS).without_analysis == 2  # no analysis yet: clustered without
        before = incident_of(store)
        add(
            store, *(article(n) for n in ("halvorsen-ransomware-en", "halvorsen-ddos-de", "kelmar-breach-en"))
        )
        copy_analyses(source, store)
        report = cluster_store(store, SETTINGS)
        after = incident_of(store)
        assert report.clustered == 3 and report.featurized == 5 and report.without_analysis == 0
        assert report.incidents == 3
        ransomware, ddos = (store.article_id_for_key(article(n).url) for n in first)
        # Without entities and mentioned dates the first run may put the two Halvorsen incidents
        # together; with them, refinement detaches what drifted, and the incident keeps its id.
        assert after[ransomware] == before[ransomware]
        assert after[ddos] != after[ransomware]
        again = cluster_store(store, SETTINGS)
        assert again.clustered == 0 and again.featurized == 0 and incident_of(store) == after
        rebuilt = cluster_store(store, SETTINGS, rebuild=True)
        assert rebuilt.clustered == 5 and incident_of(store) == after  # the same grouping keeps its ids
    assert all(i.startswith("inc-") and len(i) == 10 for i in after.values())


def vector(*values: float) -> np.ndarray:
    row = np.array(values, dtype=np.float32)
    return np.tile(row / np.linalg.norm(row), (3, 1))


def features(article_id: int, row: np.ndarray, entities=(), day: int = 0, term: str = "ransomware"):
    return ArticleFeatures(
        id=article_id,
        vectors=row,
        terms={term: 1.0},
        entities=frozenset(entities),
        dates=np.array([738000 + day]),
        key=f"https://news.example.org/{article_id}",
    )


def test_average_linkage_merges_by_mean_pair_probability_and_keeps_locks_apart():
    probability = np.array(
        [
            [0.0, 0.9, 0.3, 0.2],
            [0.9, 0.0, 0.1, 0.4],
            [0.3, 0.1, 0.0, 0.8],
            [0.2, 0.4, 0.8, 0.0],
        ]
    )
    unlocked = [None] * 4
    # 0-1 (0.9), then 2-3 (0.8); between the two the mean of 0.3, 0.2, 0.1, 0.4 is 0.25.
    assert average_linkage(probability, 0.5, unlocked) == [[0, 1], [2, 3]]
    assert average_linkage(probability, 0.25, unlocked) == [[0, 1, 2, 3]]
    assert average_linkage(probability, 0.95, unlocked) == [[0], [1], [2], [3]]
    # Two single items need the pair threshold: 0-1 (0.9) merge, 2-3 (0.8) do not.
    assert average_linkage(probability, 0.5, unlocked, pair_threshold=0.85) == [[0, 1], [2], [3]]
    # A cluster and an item need only the threshold (0.29): 3 joins {0, 1} at (0.2 + 0.4) / 2 = 0.3, then 2
    # joins {0, 1, 3} at (0.3 + 0.1 + 0.8) / 3 = 0.4, though 2-3 alone stayed below 0.85.
    assert average_linkage(probability, 0.29, unlocked, pair_threshold=0.85) == [[0, 1, 2, 3]]
    # Locked to different ids, 0 and 2 never meet however probable the pair (or their clusters) are.
    probability[0, 2] = probability[2, 0] = 0.95
    assert average_linkage(probability, 0.1, ["inc-a", None, "inc-b", None]) == [[0, 1], [2, 3]]
    # Locked to one id they start together, whatever their probability.
    assert average_linkage(probability, 0.99, ["inc-a", None, None, "inc-a"]) == [[0, 3], [1], [2]]


def test_a_close_call_is_settled_by_clustering_the_neighbourhood_again():
    weights = Weights.load()
    clusterer = Clusterer(weights, dimension=2)
    # One incident's reports, split in two by an earlier state (as a run on little evidence may leave
    # them); the next report fits both, so the one it does not join is contested, and refinement
    # clusters the neighbourhood again: one incident, under the id of the larger part.
    clusterer.restore(
        [(features(1, vector(1, 0.05), {"akira", "halvorsen"}), "inc-small")]
        + [(features(i, vector(1, 0.05 * i), {"akira", "halvorsen"}), "inc-large") for i in (2, 3, 5)]
    )
    clusterer.add(features(4, vector(1, 0.1), {"akira", "halvorsen"}))
    assert clusterer.contested == {"inc-small": {"inc-large"}, "inc-large": {"inc-small"}}
    small = len(clusterer.incidents["inc-small"].members)  # 1, or 2 if the new report joined it
    assert clusterer.refine() == small
    assert set(clusterer.assignment.values()) == {"inc-large"} and clusterer.contested == {}


def story(article_id: int) -> ArticleFeatures:
    """One incident's reports (Akira at Halvorsen)."""
    return features(article_id, vector(1, 0.01 * (article_id % 7)), {"akira", "halvorsen"})


def test_refinement_beyond_the_recent_members_keeps_ids_merges_whole_and_respects_decisions():
    weights = Weights.load()
    # Thirty reports of one story, the 7th an old mistaken join: it leaves; the other 29 keep the id,
    # though the founder is older than the recent members refinement clusters again.
    clusterer = Clusterer(weights, dimension=2)
    stray = features(7, vector(-1, 1), {"kelmar"}, day=400, term="portal")
    clusterer.restore((a, "inc-big") for a in [*map(story, range(1, 7)), stray, *map(story, range(8, 31))])
    assert clusterer.refine(["inc-big"]) == 1
    assert clusterer.assignment[7] != "inc-big" and len(clusterer.incidents["inc-big"].members) == 29
    # Two incidents of thirty reports of one story merge whole, older members included.
    clusterer = Clusterer(weights, dimension=2)
    clusterer.restore(
        [(story(i), "inc-a") for i in range(1, 31)] + [(story(i), "inc-b") for i in range(101, 131)]
    )
    clusterer.refine(["inc-a"])
    assert set(clusterer.assignment.values()) == {"inc-a"}
    # An analyst split the story in two (a split locks both sides): reports that joined either side
    # later are not regrouped across the split, however alike.
    locks = {1: "inc-l", 2: "inc-l", 101: "inc-m", 102: "inc-m"}
    clusterer = Clusterer(weights, dimension=2, locks=locks)
    clusterer.restore(
        [(story(i), "inc-l") for i in range(1, 33)] + [(story(i), "inc-m") for i in range(101, 133)]
    )
    assert clusterer.refine(["inc-l"]) == 0


def test_restored_articles_are_described_when_first_compared_and_score_as_if_loaded_whole():
    weights = Weights.load()
    stored = {i: story(i) for i in range(1, 6)} | {20: features(20, vector(-1, 1), {"kelmar"}, term="portal")}
    asked: list[list[int]] = []

    def describe(ids: list[int]) -> dict[int, ArticleFeatures]:
        asked.append(sorted(ids))
        return {i: stored[i] for i in ids}

    lazy = Clusterer(weights, dimension=2, describe=describe)
    lazy.restore(
        (replace(stored[i], terms={}, entities=frozenset(), described=False), "inc-a" if i < 20 else "inc-b")
        for i in stored
    )
    whole = Clusterer(weights, dimension=2)
    whole.restore((stored[i], "inc-a" if i < 20 else "inc-b") for i in stored)
    newcomer = story(9)
    assert lazy.probabilities(newcomer) == whole.probabilities(newcomer)
    assert asked == [[1, 2, 3, 4, 5, 20]]  # the samples of both candidate incidents, in one call
    assert lazy.add(story(10)) == whole.add(story(10)) == "inc-a" and len(asked) == 1  # described once


def test_merge_keeps_the_larger_incidents_id_and_refinement_detaches_drift():
    weights = Weights.load()
    clusterer = Clusterer(weights, dimension=2)
    big = [clusterer.add(features(i, vector(1, 0.05 * i), {"akira", "halvorsen"})) for i in range(1, 5)]
    assert len(set(big)) == 1
    # Forced apart at first (as an analyst's earlier state might leave it), then merged by refinement.
    clusterer.restore([(features(9, vector(1, 0.1), {"akira", "halvorsen"}), "inc-small")])
    moved = clusterer.refine(["inc-small"])
    assert moved == 1 and clusterer.assignment[9] == big[0] and "inc-small" not in clusterer.incidents
    # A member that fits nowhere leaves for an incident of its own; the incident keeps its id.
    clusterer.restore([(features(20, vector(-1, 1), {"kelmar"}, day=400, term="portal"), big[0])])
    clusterer.refine([big[0]])
    assert clusterer.assignment[20] != big[0] and clusterer.assignment[1] == big[0]


def test_duplicates_follow_their_original_and_locks_hold():
    weights = Weights.load()
    original = features(1, vector(1, 0), {"akira"})
    copy = replace(features(2, vector(-1, 1), {"kelmar"}, day=300), duplicate_of=1)
    clusterer = Clusterer(weights, dimension=2, locks={3: "inc-analyst"})
    home = clusterer.add(original)
    assert clusterer.add(copy) == home  # a syndicated copy goes where its original is, whatever it says
    assert clusterer.add(features(3, vector(1, 0), {"akira"})) == "inc-analyst"
    clusterer.refine()
    assert clusterer.assignment[3] == "inc-analyst"
    assert clusterer.assignment[1] != "inc-analyst" or clusterer.incidents["inc-analyst"].lock


def test_bad_input_empty_title_only_undated_future_identical_and_huge(tmp_path):
    path = tmp_path / "bad.db"
    future = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    base = article("halvorsen-ransomware-en")
    with Store(path) as store:
        ids = add(
            store,
            base,
            replace(base, url="https://a.example/empty", title="", text="", content_hash="e"),
            replace(base, url="https://a.example/title", text="", title="Akira hits Halvorsen Logistik"),
            replace(base, url="https://a.example/undated", published=None),
            replace(base, url="https://a.example/future", published=future),
            replace(base, url="https://a.example/huge", text=base.text + " padding" * 130_000),
            *(replace(base, url=f"https://mirror{n}.example/copy") for n in range(8)),
        )
        with store.transaction() as db:  # what collect's dedup records for identical texts
            for n in range(8):
                store.link_duplicate(db, ids[f"https://mirror{n}.example/copy"], ids[base.url], "exact")
        report = cluster_store(store, SETTINGS)
        placed = incident_of(store)
    assert report.skipped_empty == 1 and ids["https://a.example/empty"] not in placed
    assert len(placed) == len(ids) - 1
    copies = {placed[ids[f"https://mirror{n}.example/copy"]] for n in range(8)}
    assert copies == {placed[ids[base.url]]}
    assert analysis_dates(None, future) == []  # a future publication date is not trusted
    assert analysis_dates(None, "2025-03-04") == ["2025-03-04"]


def test_analysis_fields_become_language_independent_keys():
    analysis = {
        "entities": [
            {"text": "NOBELIUM", "label": "THREAT_ACTOR", "canonical": "APT29", "kb_id": "G0016"},
            {"text": "Halvorsen", "label": "ORG", "canonical": "Halvorsen Logistik", "kb_id": None},
        ],
        "actors": [{"name": "APT29", "kb_id": "G0016"}],
        "dates": [
            {"type": "DATE", "value": "2025-03"},
            {"type": "DURATION", "value": "P3D"},
            {"type": "DATE", "value": "2025-02-30"},
        ],
    }
    # The actor counts as an entity like any other, and once more, marked, for the actor-conflict feature.
    assert analysis_entities(analysis) == ["actor:g0016", "g0016", "halvorsen logistik"]
    assert analysis_dates(analysis, None) == ["2025-03-15"]  # a month reads as its middle; 30 Feb is dropped


def test_embeddings_from_another_model_are_refused_then_rebuilt(corpus):
    path, _ = corpus
    with Store(path) as store:
        cluster_store(store, SETTINGS)
        with store.transaction() as db:
            db.execute("UPDATE article_features SET embedder = 'st:other-model'")
        with pytest.raises(UsageError, match="embedded with 'st:other-model'.*--rebuild"):
            cluster_store(store, SETTINGS)
        report = cluster_store(store, SETTINGS, rebuild=True)
        assert report.featurized == 5 and store.feature_embedders() == {"use-multilingual": 5}


class RefusingEmbedder:
    """The default embedder's name and size, for a run that must not embed anything."""

    name = SETTINGS.embedder
    dimension = 512

    def embed(self, texts: list[str]) -> np.ndarray:
        raise AssertionError(f"embedded {len(texts)} texts")


def test_features_of_an_older_version_are_described_again_without_embedding(corpus):
    path, ids = corpus
    ransomware, ddos = ids["halvorsen-ransomware-de"], ids["halvorsen-ddos-de"]
    with Store(path) as store:
        cluster_store(store, SETTINGS)
        current = {row["article_id"]: tuple(row) for row in store.query("SELECT * FROM article_features")}
        # As version "1" stored them: no incident-type terms, no actor entities. Written through the store,
        # so the document frequencies stay consistent.
        old = []
        for row in current.values():
            terms = {t: n for t, n in json.loads(row[6]).items() if not t.startswith(TYPE_PREFIX)}
            entities = [e for e in json.loads(row[7]) if not e.startswith(ACTOR_PREFIX)]
            old.append((*row[:6], json.dumps(terms), json.dumps(entities), row[8], "1"))
        with store.transaction() as db:
            store.write_features(db, old)
        assert store.query("SELECT count(*) FROM term_df WHERE term LIKE 'type:%' AND df > 0")[0][0] == 0

        report = cluster_store(store, SETTINGS, embedder=RefusingEmbedder())
        assert report.featurized == 5 and report.embedded == 0
        stored = {row["article_id"]: row for row in store.query("SELECT * FROM article_features")}
        assert {row["version"] for row in stored.values()} == {FEATURES_VERSION}
        # Headlines "Akira-Gruppe bekennt sich zu Ransomware-Angriff" and "DDoS-Angriffe legen Website von
        # Halvorsen Logistik lahm"; Akira is g1024 in the threat-actor catalog.
        assert "type:ransomware" in json.loads(stored[ransomware]["terms"])
        assert "actor:g1024" in json.loads(stored[ransomware]["entities"])
        assert "type:ddos" in json.loads(stored[ddos]["terms"])
        assert store.query("SELECT df FROM term_df WHERE term = 'type:ddos'")[0][0] == 2  # both DDoS reports
        for article_id, row in stored.items():  # the vectors were kept, the rest is as first computed
            assert tuple(row) == current[article_id]
        assert cluster_store(store, SETTINGS, embedder=RefusingEmbedder()).featurized == 0


def test_decisions_take_effect_survive_rebuild_and_can_be_undone(corpus):
    path, ids = corpus
    ransomware, ddos = ids["halvorsen-ransomware-de"], ids["halvorsen-ddos-de"]
    with Store(path) as store:
        cluster_store(store, SETTINGS)
        placed = incident_of(store)
        a, b = placed[ransomware], placed[ddos]
        merge = merge_incidents(store, a, b, actor="maria")
        assert merge.actor == "maria" and merge.created_at
        assert {incident_of(store)[i] for i in (ransomware, ddos, ids["halvorsen-ddos-en"])} == {a}
        cluster_store(store, SETTINGS, rebuild=True)
        assert incident_of(store)[ddos] == a  # the model would keep them apart; the analyst said otherwise

        split = split_incident(store, a, [ddos, ids["halvorsen-ddos-en"]], actor="maria")
        new = split.incident_id
        assert new != a and incident_of(store)[ddos] == new
        kelmar = ids["kelmar-breach-en"]
        move_article(store, kelmar, a, actor="jonas")
        pin_article(store, ids["halvorsen-ransomware-en"], actor="jonas")
        cluster_store(store, SETTINGS, rebuild=True)
        after = incident_of(store)
        assert after[ddos] == new and after[ransomware] == a and after[kelmar] == a
        assert after[ids["halvorsen-ransomware-en"]] == a

        undo_decision(store, split.id, actor="maria")
        assert incident_of(store)[ddos] == a
        with pytest.raises(UsageError, match="already undone"):
            undo_decision(store, split.id, actor="maria")
        with pytest.raises(UsageError, match="no incident inc-nope"):
            merge_incidents(store, a, "inc-nope", actor="maria")
        with pytest.raises(UsageError, match="not in"):
            split_incident(store, a, [999], actor="maria")


# Two incidents at one company a few days apart (Brandt Medizintechnik: a help-desk data theft on
# 8 September 2025, Akira ransomware on 12 September), each in German and English. Written for this
# test and not used to fit the weights.
BRANDT = {
    "brandt-theft-de": ("de", "2025-09-09"),
    "brandt-theft-en": ("en", "2025-09-09"),
    "brandt-ransomware-de": ("de", "2025-09-12"),
    "brandt-ransomware-en": ("en", "2025-09-12"),
}


def test_two_incidents_at_one_company_days_apart_stay_apart_and_languages_join(tmp_path):
    path = tmp_path / "brandt.db"
    with Store(path) as store:
        by_url = add(
            store, *(article(name, language=lang, published=day) for name, (lang, day) in BRANDT.items())
        )
        analyze_store(store, Analyzer(NlpSettings(workers=1)))
        report = cluster_store(store, SETTINGS)
        placed = incident_of(store)
    ids = {name: by_url[article(name).url] for name in BRANDT}
    assert placed[ids["brandt-theft-de"]] == placed[ids["brandt-theft-en"]]
    assert placed[ids["brandt-ransomware-de"]] == placed[ids["brandt-ransomware-en"]]
    assert placed[ids["brandt-theft-de"]] != placed[ids["brandt-ransomware-de"]]
    assert report.incidents == 2


def test_incident_types_in_german_english_and_french():
    assert incident_types("DDoS-Angriff legt Portal der Stadtwerke lahm") >= {"ddos"}
    assert incident_types("Ransomware-Angriff: Lösegeldforderung an Klinikum") == {"ransomware"}
    assert incident_types("Hackers stole customer data from retailer") == {"data_theft"}
    assert incident_types("Fuite de données chez un assureur") == {"data_theft"}
    assert incident_types("Un rançongiciel paralyse un hôpital") == {"ransomware", "outage"}
    assert incident_types("Kritische Sicherheitslücke in VPN-Gateways") == {"vulnerability"}
    assert incident_types("Bundestag passes budget") == frozenset()
    assert incident_types("Angreifer lasen sechs Wochen lang E-Mail-Postfächer") == {"account_compromise"}
    assert incident_types("Intruders read executives' mailboxes") == {"account_compromise"}


def test_headline_type_wins_over_the_lead_and_an_effect_is_no_conflict():
    # The lead recalls an earlier incident; the headline says what this report is about.
    terms = article_terms(
        "Ransomware legt Fertigung still", "Drei Tage nach dem Datendiebstahl trifft es die Firma erneut."
    )
    assert {t for t in terms if t.startswith("type:")} == {"type:ransomware"}
    # A headline naming only an effect borrows the cause from the lead.
    terms = article_terms("Portal offline", "Ein DDoS-Angriff überlastete die Server.")
    assert {t for t in terms if t.startswith("type:")} == {"type:ddos", "type:outage"}


def typed(article_id: int, types: tuple[str, ...], actors: tuple[str, ...] = ()) -> ArticleFeatures:
    return ArticleFeatures(
        id=article_id,
        vectors=vector(1, 0),
        terms={"nordwind": 1.0, **{f"type:{t}": 1.0 for t in types}},
        entities=frozenset({"nordwind energie", *actors, *(f"actor:{a}" for a in actors)}),
        dates=np.array([738000]),
    )


def test_type_and_actor_features_same_conflicting_unknown():
    index = {name: n for n, name in enumerate(FEATURES)}
    ddos, theft = typed(1, ("ddos",), ("g9999",)), typed(2, ("data_theft",), ("g0016",))
    unknown, outage = typed(3, ()), typed(4, ("outage",))
    apart = pair_features(ddos, theft)
    assert apart[index["type_conflict"]] == 1 and apart[index["actor_conflict"]] == 1
    assert apart[index["type_same"]] == 0
    same = pair_features(ddos, typed(5, ("ddos", "outage"), ("g9999",)))
    assert same[index["type_same"]] == 0.5 and same[index["type_conflict"]] == 0
    assert same[index["actor_conflict"]] == 0
    for other in (unknown, outage):  # unknown type, or only an effect: neither agreement nor conflict
        row = pair_features(ddos, other)
        assert row[index["type_conflict"]] == 0 and row[index["actor_conflict"]] == 0
    # The markers are not terms or entities: lexical and entity similarity stay as without them.
    assert ddos.terms == {"nordwind": 1.0} and ddos.entities == {"nordwind energie", "g9999"}
    assert apart[index["lexical"]] == 1.0
    # The same incident, the other language: the same type and actor agree.
    weights = Weights.load()
    agreeing = pair_features(theft, typed(6, ("data_theft",), ("g0016",)))
    assert weights.probability(agreeing[None, :])[0] > weights.probability(apart[None, :])[0]


def test_negated_incident_types_are_not_named():
    assert incident_types("No ransomware was involved, the company said") == frozenset()
    assert incident_types("Kein Ransomware-Angriff: Stadtwerke geben Entwarnung") == frozenset()
    assert incident_types("Ransomware was not involved in the outage") == {"outage"}
    assert incident_types("Stadtwerke: Ransomware wurde ausgeschlossen") == frozenset()
    assert incident_types("Pas de rançongiciel, selon l'hôpital") == frozenset()
    assert incident_types("Aucune donnée n'a été volée") == frozenset()
    assert incident_types("There was no evidence of data theft") == frozenset()
    # A negation in another clause, or of something else, leaves the type named.
    assert incident_types("Ransomware attack hits hospital; no data was stolen") == {"ransomware"}
    assert incident_types("Hackers stole customer data but did not encrypt it") == {"data_theft"}
    assert incident_types("Nicht nur Ransomware: auch Daten gestohlen") == {"ransomware", "data_theft"}
    assert incident_types("Not only ransomware was involved") == {"ransomware"}
    terms = article_terms("Stadtwerke offline", "Ein Ransomware-Angriff sei nicht die Ursache, hieß es.")
    assert {t for t in terms if t.startswith(TYPE_PREFIX)} == {"type:outage"}


def specific(article_id: int, language: str, entities: tuple[str, ...]) -> ArticleFeatures:
    return ArticleFeatures(
        id=article_id,
        vectors=vector(1, 0),
        terms={"earthquake": 0.6, "ent:chile": 0.8},
        entities=frozenset(entities),
        dates=np.zeros(0),
        language=language,
    )


def test_specifics_of_title_and_lead_and_their_conflicts():
    analysis = {
        "entities": [
            {"text": "Lindsay Lohan", "label": "PER", "canonical": "Lindsay Lohan"},
            {"text": "Betty Ford Center", "label": "ORG", "canonical": "Betty Ford Center"},
            {"text": "Malibu", "label": "LOC", "canonical": "Malibu"},
        ],
        "dates": [{"text": "May 2013", "type": "DATE", "value": "2013-05"}],
        "money": [{"text": "90 days", "amount": 90, "unit": "days"}],
    }
    title = "Lindsay Lohan enters rehab"
    text = (
        "The actress checked into the Betty Ford Center for 90 days in May 2013.\n\n" + "x " * 700 + "Malibu."
    )
    found = analysis_specifics(analysis, title, text)
    # Malibu is named only past the lead: a specific of the article, not of its lead.
    assert found == [
        "lead:number:number:90 days",
        "lead:organisation:betty ford center",
        "lead:person:lindsay lohan",
        "lead:year:year:2013",
        "number:90 days",
        "year:2013",
    ]
    index = {name: n for n, name in enumerate(FEATURES)}
    lohan = specific(
        1, "en", ("lindsay lohan", "lead:person:lindsay lohan", "year:2013", "lead:year:year:2013")
    )
    reid = specific(2, "en", ("tara reid", "lead:person:tara reid", "year:2008", "lead:year:year:2008"))
    row = pair_features(lohan, reid)
    assert row[index["person_conflict"]] == 1 and row[index["year_conflict"]] == 1
    assert row[index["place_conflict"]] == 0  # neither names a place: unknown, not a conflict
    # The markers leave the entities as they were; the specific terms are entity ids (and years) only.
    assert lohan.entities == {"lindsay lohan"} and lohan.specifics == {"lindsay lohan", "year:2013"}
    assert lohan.specific_terms == {"ent:chile": 1.0} and row[index["specific"]] == 1.0
    # A follow-up that names the first article's person anywhere is compatible with it.
    follow = specific(3, "en", ("lindsay lohan", "michael lohan", "lead:person:michael lohan"))
    assert pair_features(lohan, follow)[index["person_conflict"]] == 0
    # Names in two languages are different keys (Munich, München): only years and numbers conflict then.
    german = specific(4, "de", ("münchen", "lead:place:münchen", "year:2008", "lead:year:year:2008"))
    english = specific(5, "en", ("munich", "lead:place:munich", "year:2013", "lead:year:year:2013"))
    row = pair_features(german, english)
    assert row[index["place_conflict"]] == 0 and row[index["year_conflict"]] == 1


def test_ransomware_and_data_theft_are_compatible_causes():
    # Double extortion: the gang's leak of stolen data is a follow-up of its ransomware attack.
    index = FEATURES.index("type_conflict")
    ransomware, leak, ddos = typed(1, ("ransomware",)), typed(2, ("data_theft",)), typed(3, ("ddos",))
    assert pair_features(ransomware, leak)[index] == 0
    assert pair_features(ddos, leak)[index] == 1 and pair_features(ddos, ransomware)[index] == 1
