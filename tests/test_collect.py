"""brief collect end to end: the demo corpus from files and over loopback HTTP, JSONL, limits, resumption."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from demo_mirror import DEMO_SITE, DemoMirror

from incident_brief.config import CollectSettings, FetchSettings, Settings, SourceConfig
from incident_brief.corpus.collect import collect
from incident_brief.corpus.store import Store

DEMO = DEMO_SITE.parent
GOLD = {
    url: facts
    for lang in ("de", "en", "fr")
    for url, facts in json.loads((DEMO / f"gold-{lang}.json").read_text(encoding="utf-8")).items()
}
FAST = FetchSettings(per_host_delay=0, backoff=0.05, timeout=5, allow_private=True)


def _settings(tmp_path: Path, **fetch) -> Settings:
    return Settings(
        db=tmp_path / "brief.db", fetch=replace(FAST, **fetch), collect=CollectSettings(workers=1)
    )


def _by_canonical(store: Store) -> dict:
    return {a.canonical_url: a for a in store.iter_articles()}


@pytest.fixture(scope="module")
def demo_from_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    settings = _settings(tmp)
    with Store(settings.db) as store:
        report = collect(store, settings, [SourceConfig("demo", "path", str(DEMO_SITE))])
        return report, _by_canonical(store), settings


def test_demo_files_are_all_collected(demo_from_files):
    report, articles, _ = demo_from_files
    assert report.ok, report.failures
    assert len(articles) == len(GOLD) == 31
    assert set(articles) == set(GOLD)
    assert {a.language for a in articles.values()} == {"de", "en", "fr"}


def test_demo_dates_and_languages_match_gold(demo_from_files):
    _, articles, _ = demo_from_files
    for url, facts in GOLD.items():
        article = articles[url]
        assert article.language == facts["language"], url
        assert (article.published or "")[:10] == (facts["published"] or ""), url


def test_syndicated_copy_and_update_are_linked_not_dropped(demo_from_files):
    _, articles, _ = demo_from_files
    copies = {url: facts["notes"] for url, facts in GOLD.items() if facts["notes"]}
    assert len(copies) == 2
    for url, note in copies.items():
        original_url = note.split(" of ")[-1].strip()
        copy, original = articles[url], articles[original_url]
        # linked one way or the other (the earlier report is the original), never dropped
        assert copy.duplicate_of == original.id or original.duplicate_of == copy.id, (url, note)


def test_second_run_over_files_stores_nothing_twice(demo_from_files):
    _, articles, settings = demo_from_files
    with Store(settings.db) as store:
        report = collect(store, settings, [SourceConfig("demo", "path", str(DEMO_SITE))])
        assert store.count_articles() == len(articles)
    totals = report.totals()
    assert (totals["new"], totals["updated"], totals["unchanged"]) == (0, 0, 31)


@pytest.fixture
def mirror():
    server = DemoMirror().start()
    yield server
    server.stop()


def _demo_feeds(mirror: DemoMirror) -> list[SourceConfig]:
    feeds = {
        "www.cyberwacht.example": "/feed.atom",
        "www.it-tagesdienst.example": "/rss.xml",
        "www.rheinpost.example": "/feed.rdf",
        "www.securitywire.example": "/feed/",
        "www.cloudledger.example": "/atom.xml",
        "www.infosecdaily.example": "/rss",
        "www.lemondenumerique.example": "/rss.xml",
        "www.cybersecu-actu.example": "/feed.atom",
    }
    return [SourceConfig(host, "feed", mirror.base(host) + path) for host, path in feeds.items()]


def test_demo_feeds_over_http_then_nothing_refetched(tmp_path, mirror):
    settings = _settings(tmp_path)
    with Store(settings.db) as store:
        report = collect(store, settings, _demo_feeds(mirror))
        assert report.ok, report.failures
        assert report.totals()["new"] == 31
        articles = {a.url: a for a in store.iter_articles()}
        # the page without a date in its markup gets the date its feed gives
        undated = mirror.url("https://www.infosecdaily.example/news/nordwind-energie-midnight-blizzard.html")
        assert articles[undated].published.startswith("2026-11-19")
        pages_before = [r for r in mirror.requests if r[1].endswith(".html")]
        second = collect(store, settings, _demo_feeds(mirror))
        pages_after = [r for r in mirror.requests if r[1].endswith(".html")]
        assert store.count_articles() == 31
    assert second.totals()["new"] == 0
    assert second.totals()["cached"] == 31
    assert pages_after == pages_before  # no page fetched again


def test_demo_sitemaps_declared_in_robots(tmp_path, mirror):
    settings = _settings(tmp_path)
    sources = [
        SourceConfig(h, "sitemap", mirror.base(h) + "/")
        for h in ("www.securitywire.example", "www.cybersecu-actu.example", "www.it-tagesdienst.example")
    ]
    with Store(settings.db) as store:
        report = collect(store, settings, sources)
        assert report.ok, report.failures
        hosts = {a.canonical_url.split("/")[2] for a in store.iter_articles()}
    # securitywire: robots.txt -> sitemap index -> post sitemap; cybersecu-actu: robots.txt -> sitemap;
    # it-tagesdienst: robots.txt -> Google News sitemap
    expected = sum(
        1 for url in GOLD if any(h in url for h in ("securitywire", "cybersecu-actu", "it-tagesdienst"))
    )
    assert report.totals()["new"] == expected
    assert hosts == {"www.securitywire.example", "www.cybersecu-actu.example", "www.it-tagesdienst.example"}


def test_max_articles_and_since(tmp_path, mirror):
    settings = _settings(tmp_path)
    with Store(settings.db) as store:
        report = collect(store, settings, _demo_feeds(mirror), max_articles=5)
        assert store.count_articles() == 5
        assert report.totals()["new"] == 5
    settings = _settings(tmp_path / "since")
    (tmp_path / "since").mkdir()
    with Store(settings.db) as store:
        collect(store, settings, _demo_feeds(mirror), since="2026-11-18")
        dates = sorted(a.published[:10] for a in store.iter_articles())
    expected = sorted(
        f["published"] or "2026-11-19"
        for f in GOLD.values()
        if (f["published"] or "2026-11-19") >= "2026-11-18"
    )
    assert dates == expected


def test_jsonl_import_keeps_external_ids_and_reports_bad_lines(tmp_path):
    records = tmp_path / "import.jsonl"
    lines = [
        {
            "id": "ext-1",
            "url": "https://news.example/a",
            "title": "Angriff auf Stadtwerke",
            "text": "Die Stadtwerke meldeten am Montag einen Angriff auf ihre IT. Das BSI ist informiert.",
            "published": "2026-11-02",
            "lang": "de",
            "source": "agentur",
        },
        {
            "id": 2,
            "title": "Breach at a retailer",
            "text": "A retailer said attackers stole customer data. "
            "The company urged customers to reset passwords.",
        },
        "not an object",
        {"id": "ext-3", "title": "no text"},
        {"id": "ext-4", "text": "Texte.", "published": "31.02.2024"},
    ]
    records.write_text("\n".join(json.dumps(r) for r in lines) + "\n{broken json\n", encoding="utf-8")
    settings = _settings(tmp_path)
    with Store(settings.db) as store:
        report = collect(store, settings, [SourceConfig("import", "jsonl", str(records))])
        stored = {a.external_id: a for a in store.iter_articles()}
    assert set(stored) == {"ext-1", "2"}
    assert stored["ext-1"].source == "agentur" and stored["ext-1"].language == "de"
    assert stored["ext-1"].published == "2026-11-02"
    assert stored["2"].language == "en"  # detected
    assert stored["2"].url == "urn:incident-brief:import:2"
    failed = sorted((f.reason, f.url.rsplit(":", 1)[-1]) for f in report.failures)
    assert failed == [("bad-record", "3"), ("bad-record", "4"), ("bad-record", "5"), ("bad-record", "6")]


def test_extraction_in_worker_processes_gives_the_same_articles(tmp_path):
    settings = replace(_settings(tmp_path), collect=CollectSettings(workers=2))
    with Store(settings.db) as store:
        report = collect(
            store, settings, [SourceConfig("demo", "path", str(DEMO_SITE / "www.rheinpost.example"))]
        )
        titles = sorted(a.title for a in store.iter_articles())
    assert report.ok
    assert len(titles) == sum(1 for url in GOLD if "rheinpost" in url)
    assert all(titles)


def test_plain_text_files_are_collected_with_their_headline_and_encoding(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    # A headline line (no closing punctuation), then the body: the headline is the title only.
    (folder / "emden.txt").write_text(
        "Hackerangriff auf Stadtwerke Emden: Kundendaten erbeutet\n\n"
        "Unbekannte sind am Wochenende in das Kundenportal der Stadtwerke Emden eingedrungen.\n"
        "„Wir haben die betroffenen Kunden informiert“, sagte eine Sprecherin am Montag.\n",
        encoding="utf-8",
    )
    # Windows-1252 with CRLF, and a first line that is the lead sentence: title and body both keep it.
    (folder / "lead.txt").write_bytes(
        "Die Hafenverwaltung in Kiel hat nach einem Ransomware-Angriff ihre Systeme abgeschaltet.\r\n"
        "Der Betrieb laufe über Notfallpläne weiter, teilte die Behörde mit.\r\n".encode("cp1252")
    )
    (folder / "blank.txt").write_text(" \n\n", encoding="utf-8")
    (folder / "notes.md").write_text("# not an article\n\nMarkdown is not collected.\n", encoding="utf-8")
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /intern/\n", encoding="utf-8")  # a site file
    (folder / "sitemap.txt").write_text("https://example.org/a\nhttps://example.org/b\n", encoding="utf-8")
    (folder / "dump.txt").write_bytes(bytes(range(256)) * 8)  # binary data under a text name
    settings = _settings(tmp_path)
    with Store(settings.db) as store:
        report = collect(store, settings, [SourceConfig("texts", "path", str(folder))])
        stored = {Path(a.url).name: a for a in store.iter_articles()}
    assert set(stored) == {"emden.txt", "lead.txt"}
    emden = stored["emden.txt"]
    assert emden.title == "Hackerangriff auf Stadtwerke Emden: Kundendaten erbeutet"
    assert emden.text.startswith("Unbekannte sind am Wochenende")
    assert emden.text.splitlines()[1].startswith("„Wir haben die betroffenen Kunden informiert“")
    assert emden.language == "de" and emden.published is None
    lead = stored["lead.txt"]
    first = "Die Hafenverwaltung in Kiel hat nach einem Ransomware-Angriff ihre Systeme abgeschaltet."
    assert lead.title == first
    assert lead.text == first + "\nDer Betrieb laufe über Notfallpläne weiter, teilte die Behörde mit."
    failed = sorted((f.reason, Path(f.url).name) for f in report.failures)
    assert failed == [("no-text", "blank.txt"), ("no-text", "dump.txt")]
