"""Sources: turn a configured source (feed, sitemap, URL, URL list, local files, JSONL) into work items.

Each kind yields `PageTask`s (a page to fetch or read) or, for JSONL, ready `Article`s. Problems with
a single item are reported through `report_failure` and never stop the rest of the source.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from incident_brief.config import SourceConfig
from incident_brief.corpus.feeds import FeedError, parse_feed
from incident_brief.corpus.fetch import FetchError
from incident_brief.corpus.records import Article
from incident_brief.corpus.sitemaps import expand_sitemaps

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt",)  # plain text: a headline line, then the body
# Text files that are not articles: a mirrored site's, and a folder's own notes (a directory walk skips them).
NON_ARTICLE_TEXT_FILES = frozenset(
    {"robots.txt", "ads.txt", "app-ads.txt", "humans.txt", "security.txt", "llms.txt", "sitemap.txt",
     "readme.txt", "license.txt"}
)  # fmt: skip


def local_media_type(path: Path) -> str:
    """How a local file is read: as plain text (by its suffix) or as an HTML page."""
    return "text/plain" if path.suffix.lower() in TEXT_SUFFIXES else "text/html"


@dataclass
class PageTask:
    """One page to collect, with what the feed or sitemap already said about it."""

    source: str
    url: str  # http(s) URL, or a file: URI for local files
    path: Path | None = None  # set for local files
    title: str | None = None
    published: str | None = None
    updated: str | None = None
    language: str | None = None
    revalidate: bool = False  # fetch with a conditional GET even if stored (explicit URLs)


@dataclass
class SourceFailure:
    source: str
    url: str
    reason: str
    detail: str


FetchXml = Callable[[str], Awaitable[bytes]]  # fetches a feed or sitemap, raising FetchError
Report = Callable[[SourceFailure], None]


async def discover(
    source: SourceConfig, fetch_xml: FetchXml, sitemaps_from_robots, report: Report
) -> AsyncIterator:
    """Yield the PageTasks (or imported Articles) of one source."""
    kind = source.kind
    if kind == "url":
        yield PageTask(source.name, source.location, revalidate=True)
    elif kind == "url_file":
        for url in _read_url_file(source, report):
            yield PageTask(source.name, url, revalidate=True)
    elif kind == "path":
        for task in _local_pages(source, report):
            yield task
    elif kind == "jsonl":
        for article in read_jsonl(Path(source.location), source.name, report):
            yield article
    elif kind == "feed":
        try:
            feed = parse_feed(await fetch_xml(source.location), source.location)
        except FetchError as exc:
            report(SourceFailure(source.name, source.location, exc.reason, exc.detail))
            return
        except FeedError as exc:
            report(SourceFailure(source.name, source.location, "bad-feed", str(exc)))
            return
        for entry in feed.entries:
            yield PageTask(
                source.name,
                entry.url,
                title=entry.title,
                published=entry.published,
                updated=entry.updated,
                language=entry.language or feed.language,
            )
    elif kind == "sitemap":
        async for task in _sitemap_pages(source, fetch_xml, sitemaps_from_robots, report):
            yield task
    else:  # config.py validates kinds; this guards library callers
        raise ValueError(f"unknown source kind {kind!r}")


async def _sitemap_pages(source: SourceConfig, fetch_xml: FetchXml, sitemaps_from_robots, report: Report):
    location = source.location
    path = urlsplit(location).path
    if path in ("", "/") or path.endswith("/robots.txt"):
        # A site root or robots.txt: use the sitemaps that robots.txt declares.
        try:
            starts = await sitemaps_from_robots(location)
        except FetchError as exc:
            report(SourceFailure(source.name, location, exc.reason, exc.detail))
            return
        if not starts:
            report(SourceFailure(source.name, location, "no-sitemap", "robots.txt declares no sitemap"))
            return
    else:
        starts = [location]

    def on_error(url: str, exc: Exception) -> None:
        reason = exc.reason if isinstance(exc, FetchError) else "bad-sitemap"
        detail = exc.detail if isinstance(exc, FetchError) else str(exc)
        report(SourceFailure(source.name, url, reason, detail))

    for entry in await expand_sitemaps(starts, fetch_xml, on_error=on_error):
        yield PageTask(
            source.name,
            entry.url,
            title=entry.news_title,
            published=entry.news_published,
            updated=entry.lastmod,
            language=entry.news_language,
        )


def _read_url_file(source: SourceConfig, report: Report) -> list[str]:
    path = Path(source.location)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        report(SourceFailure(source.name, str(path), "not-found", f"cannot read URL list: {exc.strerror}"))
        return []
    urls = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.lower().startswith(("http://", "https://")):
            report(
                SourceFailure(
                    source.name, f"{path}:{number}", "invalid-url", f"not an http(s) URL: {line[:80]}"
                )
            )
            continue
        urls.append(line)
    return urls


def _local_pages(source: SourceConfig, report: Report) -> list[PageTask]:
    root = Path(source.location)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        suffixes = HTML_SUFFIXES + TEXT_SUFFIXES
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and p.suffix.lower() in suffixes and p.name.lower() not in NON_ARTICLE_TEXT_FILES
        )
    else:
        report(SourceFailure(source.name, str(root), "not-found", "no such file or directory"))
        return []
    return [PageTask(source.name, f.resolve().as_uri(), path=f) for f in files]


def read_jsonl(path: Path, source_name: str, report: Report) -> list[Article]:
    """Records `{id, url?, title, text, published?, lang?, source?}`, one per line; bad lines are
    reported with their line number and skipped."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        report(SourceFailure(source_name, str(path), "not-found", f"cannot read JSONL: {exc.strerror}"))
        return []
    articles = []
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                articles.append(_record_to_article(json.loads(line), source_name))
            except (ValueError, TypeError) as exc:
                report(SourceFailure(source_name, f"{path}:{number}", "bad-record", f"line {number}: {exc}"))
    return articles


def _record_to_article(record: object, source_name: str) -> Article:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    external_id = record.get("id")
    if not isinstance(external_id, str | int) or isinstance(external_id, bool) or str(external_id) == "":
        raise ValueError("missing or invalid 'id'")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    for key in ("url", "title", "published", "lang", "source"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise ValueError(f"'{key}' must be a string")
    published = record.get("published")
    if published:
        published = normalize_date(published)
        if published is None:
            raise ValueError(f"'published' is not an ISO 8601 date: {record['published']!r}")
    source = record.get("source") or source_name
    url = record.get("url") or f"urn:incident-brief:{source}:{external_id}"
    return Article(
        url=url,
        text=text.strip(),
        title=(record.get("title") or "").strip() or None,
        external_id=str(external_id),
        published=published,
        language=(record.get("lang") or "").lower() or None,
        language_confidence=1.0 if record.get("lang") else None,
        source=source,
        extractor="jsonl",
    )


def normalize_date(value: str) -> str | None:
    """An ISO 8601 date or date-time, as given (offset kept); None when it is not one."""
    value = value.strip()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None
