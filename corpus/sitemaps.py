"""Sitemaps: XML urlsets and indexes (sitemaps.org), Google News sitemaps, plain-text and gzipped ones.

`expand_sitemaps` walks indexes breadth-first through a fetch callback and returns the page entries.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from lxml import etree

from incident_brief.corpus.feeds import iso_date, iso_language
from incident_brief.corpus.xmlsafety import refusal_reason, root_name, scan_prolog

# The sitemaps.org limit on a sitemap's uncompressed size; also bounds what a gzip bomb can inflate to.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_KINDS = {"urlset": "urlset", "sitemapindex": "index"}


@dataclass
class SitemapEntry:
    url: str
    lastmod: str | None  # ISO 8601
    news_title: str | None = None  # Google News sitemap <news:title>
    news_published: str | None = None  # <news:publication_date>, ISO 8601
    news_language: str | None = None  # <news:language>, ISO 639-1


@dataclass
class Sitemap:
    url: str
    kind: str  # "urlset" or "index"
    entries: list[SitemapEntry]  # for an index: the child sitemaps (url, lastmod)


class SitemapError(Exception):
    """A document that is not a usable sitemap; the message is one line saying why."""


def parse_sitemap(content: bytes, url: str) -> Sitemap:
    """Parse an XML urlset or index, a Google News sitemap or a text sitemap, gzipped or not.

    Raises SitemapError for anything else, for XML with entity declarations and for over 50 MB.
    """
    if content.startswith(_GZIP_MAGIC):
        content = _gunzip(content, url)
    if len(content) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"too large: {url} is over {MAX_SITEMAP_BYTES // 2**20} MB")
    if not content.strip():
        raise SitemapError(f"not a sitemap: {url} is empty")
    if scan_prolog(content).root is None and not content.lstrip().startswith(b"<"):
        return _parse_text(content, url)
    return _parse_xml(content, url)


async def expand_sitemaps(
    start_urls: list[str],
    fetch: Callable[[str], Awaitable[bytes]],
    *,
    max_depth: int = 3,
    max_sitemaps: int = 500,
    on_error: Callable[[str, Exception], None] | None = None,
) -> list[SitemapEntry]:
    """The page entries of `start_urls` and of every sitemap their indexes list, breadth-first.

    Start URLs are depth 0; an index's children are followed while its depth is below `max_depth`, and at
    most `max_sitemaps` sitemaps are fetched. Each sitemap URL is fetched once (so indexes that list
    themselves or each other terminate) and each page URL is returned once, in document order. Failed
    fetches and bad sitemaps go to `on_error` and the walk goes on; so do the limits, once each.
    """
    report = on_error or (lambda url, error: None)
    seen_sitemaps: set[str] = set()
    pages: dict[str, SitemapEntry] = {}
    level = _unseen(start_urls, seen_sitemaps)
    depth = 0
    fetched = 0
    while level:
        room = max_sitemaps - fetched
        count_limited = len(level) > room
        if count_limited:
            limit = SitemapError(f"limit reached: {max_sitemaps} sitemaps; {len(level) - room} not fetched")
            report(level[room], limit)
            level = level[:room]
        fetched += len(level)
        results = await asyncio.gather(*(_fetch_sitemap(url, fetch) for url in level))
        children: list[str] = []
        for url, result in zip(level, results, strict=True):
            if isinstance(result, Exception):
                report(url, result)
            elif result.kind == "index":
                children += [entry.url for entry in result.entries]
            else:
                for entry in result.entries:
                    pages.setdefault(entry.url, entry)
        level = _unseen(children, seen_sitemaps)
        if level and count_limited:
            break  # already reported
        if level and depth >= max_depth:
            limit = SitemapError(f"limit reached: depth {max_depth}; {len(level)} sitemaps not fetched")
            report(level[0], limit)
            break
        depth += 1
    return list(pages.values())


async def _fetch_sitemap(url: str, fetch: Callable[[str], Awaitable[bytes]]) -> Sitemap | Exception:
    try:
        content = await fetch(url)
        # Parsing a large sitemap takes a while; a worker thread keeps the other fetches going meanwhile.
        return await asyncio.to_thread(parse_sitemap, content, url)
    except Exception as error:  # the fetch callback may raise anything; each failure is reported, not fatal
        return error


def _unseen(urls: list[str], seen: set[str]) -> list[str]:
    """The URLs not yet in `seen` (fragments ignored), first occurrence kept; adds them to `seen`."""
    fresh = []
    for url in urls:
        key = urldefrag(url).url
        if key not in seen:
            seen.add(key)
            fresh.append(url)
    return fresh


def _gunzip(content: bytes, url: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as archive:
            data = archive.read(MAX_SITEMAP_BYTES + 1)  # one byte more tells "too large" from "just fits"
    except (OSError, EOFError, zlib.error) as error:
        raise SitemapError(f"not a sitemap: {url} is broken gzip data ({error})") from None
    if len(data) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"too large: {url} inflates to over {MAX_SITEMAP_BYTES // 2**20} MB")
    return data


def _parse_xml(content: bytes, url: str) -> Sitemap:
    reason = refusal_reason(content)
    if reason:
        raise SitemapError(f"refused: {reason}: {url}")
    root_tag = root_name(content)
    if root_tag and root_tag not in _KINDS:  # say what it is (an HTML page, a feed) rather than how it breaks
        raise SitemapError(f"not a sitemap: {url} has root element <{root_tag}>")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        detail = " ".join(str(error).split())  # libxml2 messages may carry a line break
        raise SitemapError(f"not a sitemap: {url} is not well-formed XML ({detail})") from None
    kind = _KINDS.get(_local_name(root))
    if kind is None:
        raise SitemapError(f"not a sitemap: {url} has root element <{_local_name(root)}>")
    item_name = "url" if kind == "urlset" else "sitemap"
    entries = [entry for item in root if _local_name(item) == item_name and (entry := _entry(item))]
    return Sitemap(url=url, kind=kind, entries=entries)


def _entry(item: etree._Element) -> SitemapEntry | None:
    # Elements are matched by local name: sitemaps in the wild use no namespace or odd ones.
    fields = _children(item)
    loc = _text(fields.get("loc"))
    if not loc or not _is_absolute_http(loc):
        return None
    entry = SitemapEntry(url=loc, lastmod=iso_date(_text(fields.get("lastmod"))))
    news = fields.get("news")
    if news is not None:
        news_fields = _children(news)
        publication = _children(news_fields["publication"]) if "publication" in news_fields else {}
        entry.news_title = _text(news_fields.get("title"))
        entry.news_published = iso_date(_text(news_fields.get("publication_date")))
        entry.news_language = iso_language(_text(publication.get("language")))
    return entry


def _parse_text(content: bytes, url: str) -> Sitemap:
    # sitemaps.org: a UTF-8 text file with one URL per line and nothing else.
    lines = (line.strip() for line in content.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines())
    entries = [SitemapEntry(url=line, lastmod=None) for line in lines if _is_absolute_http(line)]
    if not entries:
        raise SitemapError(f"not a sitemap: {url} is neither XML nor a list of URLs")
    return Sitemap(url=url, kind="urlset", entries=entries)


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """Child elements by local name, the first of each kept."""
    found: dict[str, etree._Element] = {}
    for child in element:
        if isinstance(child.tag, str):  # skips comments and processing instructions
            found.setdefault(_local_name(child), child)
    return found


def _local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _is_absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "https://[broken/": an unclosed IPv6 literal
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in url)
