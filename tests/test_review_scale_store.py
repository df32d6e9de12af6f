"""The review-app speed benchmark's synthetic store (benchmarks/review_scale_store.py) is what it claims:
analyses whose offsets point at the words, incidents of the drawn sizes with their stats, a brief per
incident whose evidence is in its articles; and every page the benchmark times answers. No timing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from incident_brief.corpus.store import Store

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    import sys

    sys.path.insert(0, str(BENCHMARKS))
    try:
        import review_scale_store
        import serve_pages
    finally:
        sys.path.remove(str(BENCHMARKS))
    path = tmp_path_factory.mktemp("scale") / "review.db"
    result = review_scale_store.generate(path, articles=400, incidents=40, seed=3)
    return path, result, review_scale_store, serve_pages


def test_sizes_are_skewed_and_sum_to_the_articles(generated):
    _, _, module, _ = generated
    sizes = module.incident_sizes(np.random.default_rng(7), 10_000, 100_000)
    assert sizes.sum() == 100_000 and sizes.min() >= 1
    assert (sizes <= 10).mean() > 0.6  # most incidents are small
    assert sizes.max() >= 200  # and a few have hundreds of articles


def test_store_holds_articles_analyses_incidents_and_briefs(generated):
    path, result, _, _ = generated
    with Store(path, readonly=True) as store:
        assert store.count_articles() == 400
        assert {r[0] for r in store.query("SELECT id FROM incidents")} == set(result.incidents)
        for incident_id, ids in result.incidents.items():
            stats = store.query("SELECT size FROM incident_stats WHERE incident_id = ?", (incident_id,))
            assert stats[0][0] == len(ids)
        lengths = [r[0] for r in store.query("SELECT length(text) FROM articles WHERE duplicate_of IS NULL")]
        assert min(lengths) >= 1500 and max(lengths) < 6300
        languages = {r[0] for r in store.query("SELECT DISTINCT language FROM articles")}
        assert languages == {"de", "en", "fr"}
        assert store.query("SELECT count(*) FROM article_actors")[0][0] == 400  # one actor per analysis
        for row in store.query(
            "SELECT a.text, n.result FROM articles a JOIN analyses n ON n.article_id = a.id"
        ):
            analysis = json.loads(row["result"])
            for entity in analysis["entities"]:
                assert row["text"][entity["start"] : entity["end"]] == entity["text"]
            for quote in analysis["quotes"]:
                # summarize_briefs.fill keeps a quote's closing comma in the span, not in the text
                assert row["text"][quote["start"] : quote["end"]].rstrip(",") == quote["text"]
        briefs = {r[0]: json.loads(r[1]) for r in store.query("SELECT incident_id, brief FROM review_briefs")}
        assert set(briefs) == set(result.incidents)
        for incident_id, brief in briefs.items():
            members = set(result.incidents[incident_id])
            assert {s["article_id"] for s in brief["sources"]} == members
            assert 1 <= len(brief["summary"]) <= 8
            for sentence in brief["summary"]:
                (evidence,) = sentence["evidence"]
                assert evidence["article_id"] in members
        assert store.query("SELECT count(*) FROM incident_decisions")[0][0] == 40 // 25


def test_every_timed_page_answers(generated):
    path, _, _, serve_pages = generated
    from incident_brief.review.app import create_app

    client = create_app(path, reviewer="test").test_client()
    kinds = serve_pages.page_kinds(path)
    assert len(kinds) >= 18
    for name, url in kinds:
        response = client.get(url)
        assert response.status_code == 200, (name, url)
    search = dict(kinds)
    found = client.get(next(url for name, url in search.items() if "(a company)" in name)).data.decode()
    assert "Cyberangriff auf" in found  # the company's incident is listed
