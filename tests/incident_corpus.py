"""A small bilingual corpus for the incident tests: two different incidents at the same company
(Halvorsen Logistik: Akira ransomware in March, a NoName057(16) DDoS in May), each reported in German
and English, and an unrelated US breach. Texts: tests/fixtures/incidents/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from incident_brief.config import NlpSettings
from incident_brief.corpus.dedup import content_hash
from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.nlp.analysis import Analyzer, analyze_store

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"

# name: (language, published, external id)
ARTICLES = {
    "halvorsen-ransomware-de": ("de", "2025-03-04", "rheinpost-0304"),
    "halvorsen-ransomware-en": ("en", "2025-03-05", "wire-0305"),
    "halvorsen-ddos-de": ("de", "2025-05-20", "rheinpost-0520"),
    "halvorsen-ddos-en": ("en", "2025-05-21", "wire-0521"),
    "kelmar-breach-en": ("en", "2025-05-23", "wire-0523"),
}
SAME_INCIDENT = [
    ("halvorsen-ransomware-de", "halvorsen-ransomware-en"),
    ("halvorsen-ddos-de", "halvorsen-ddos-en"),
]


def article(name: str, **changes) -> Article:
    language, published, external_id = ARTICLES.get(name, ("en", None, None))
    title, _, text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").partition("\n")
    values = {
        "url": f"https://news.example.org/{name}.html",
        "title": title,
        "text": text.strip(),
        "language": language,
        "published": published,
        "external_id": external_id,
        "fetched_at": datetime.now(UTC).isoformat(),
        **changes,
    }
    values["content_hash"] = content_hash(values["text"])
    return Article(**values)


def add(store: Store, *articles: Article) -> dict[str, int]:
    """Store articles, keyed by URL; returns their ids by URL."""
    ids = {}
    with store.transaction() as db:
        for item in articles:
            ids[item.url] = store.write_article(db, item, item.url)
    return ids


def build(path: Path, names=tuple(ARTICLES), analyse: bool = True) -> dict[str, int]:
    """A store with the named articles, analysed; returns article ids by name."""
    with Store(path) as store:
        ids = add(store, *(article(name) for name in names))
        if analyse:
            analyze_store(store, Analyzer(NlpSettings(workers=1)))
    return {name: ids[f"https://news.example.org/{name}.html"] for name in names}
