"""Feeds: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 documents parsed with feedparser into typed entries."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree
from lxml.html import defs as html_defs

from incident_brief.corpus.xmlsafety import refusal_reason, root_name

FEED_ROOTS = frozenset({"rss", "feed", "rdf"})  # local names: <rss>, Atom's <feed>, RSS 0.90/1.0's <rdf:RDF>
# Elements whose text must not run into the next one's when HTML is flattened to text.
_BREAKING_TAGS = html_defs.block_tags | {"br", "article", "section", "header", "footer", "aside", "figure"}
_DATE_ONLY = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_LANGUAGE = re.compile(r"[a-z]{2}")
# Control characters and the like: libxml2 refuses them, and no reader wants them in a title.
_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INVISIBLE_TAGS = frozenset({"script", "style", "template"})


@dataclass
class FeedEntry:
    url: str  # absolute (resolved against the feed URL / xml:base)
    title: str | None
    published: str | None  # ISO 8601 (UTC offset kept if given), from pubDate/dc:date/published/updated
    updated: str | None
    summary: str | None
    authors: list[str]
    tags: list[str]
    language: str | None  # ISO 639-1, from the entry (xml:lang, dc:language) or else the feed


@dataclass
class Feed:
    title: str | None
    url: str  # the feed's own URL
    kind: str  # feedparser's version, e.g. "rss20", "rss10", "rss091u", "atom10"
    language: str | None
    entries: list[FeedEntry]


class FeedError(Exception):
    """A document that is not a usable feed; the message is one line saying why."""


def looks_like_feed(content: bytes) -> bool:
    """Cheap sniff: is the root element <rss>, <feed> or <rdf:RDF>?"""
    return root_name(content) in FEED_ROOTS


def parse_feed(content: bytes, url: str) -> Feed:
    """Parse RSS or Atom; entries without an http(s) link are left out. Raises FeedError for non-feeds."""
    reason = refusal_reason(content)
    if reason:
        raise FeedError(f"refused: {reason}: {url}")
    if not content.strip():
        raise FeedError(f"not a feed: {url} is empty")
    # A stream, never bytes: feedparser opens a bytes argument as a local file name if such a file exists.
    # The Content-Location header is the base that relative links resolve against (below any xml:base).
    try:
        parsed = feedparser.parse(
            io.BytesIO(content),
            response_headers={"content-location": url},
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except ValueError as error:  # feedparser trips over some garbled encoding declarations
        raise FeedError(f"not a feed: {url} cannot be decoded ({' '.join(str(error).split())})") from None
    # feedparser's `bozo` flag alone is not fatal: real feeds are often slightly broken yet readable.
    if not parsed.entries and not looks_like_feed(content):
        root = root_name(content)
        what = f"has root element <{root}>" if root else "is not XML"
        raise FeedError(f"not a feed: {url} {what}")
    language = iso_language(parsed.feed.get("language"))
    entries = [entry for raw in parsed.entries if (entry := _entry(raw, url, language))]
    return Feed(
        title=_text(parsed.feed.get("title_detail")),
        url=url,
        kind=parsed.get("version") or "unknown",
        language=language,
        entries=entries,
    )


def iso_date(raw: str | None) -> str | None:
    """ISO 8601 form of an RFC 822 or ISO 8601 date, keeping its UTC offset (UTC if none); None if unreadable.

    Dates without a time ("2024-03-05", "2024-03") stay dates.
    """
    raw = (raw or "").strip()
    if _DATE_ONLY.fullmatch(raw):
        return raw
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def iso_language(raw: str | None) -> str | None:
    """The ISO 639-1 code of a language tag ("de-DE" -> "de"); None for anything else ("German", "deu")."""
    primary = re.split(r"[-_]", (raw or "").strip(), maxsplit=1)[0].lower()
    return primary if _LANGUAGE.fullmatch(primary) else None


def _html_to_text(html: str) -> str:
    """Visible text of an HTML fragment."""
    # A whole document, not lxml.html's fragment helpers: those copy the parsed text through Python, which
    # fails on control characters that character references (&#20;) put there.
    try:
        document = lxml.html.document_fromstring(_XML_INCOMPATIBLE.sub("", html))
    except etree.ParserError:  # only whitespace or comments
        return ""
    body = document.find("body")
    root = body if body is not None else document
    pieces: list[str] = []
    for event, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event == "start" and node.tag not in _INVISIBLE_TAGS:
            pieces.append(node.text or "")
        elif event == "end" and node.tag in _BREAKING_TAGS:
            pieces.append(" ")
        if event != "start" and node is not root:
            pieces.append(node.tail or "")
    return "".join(pieces)


def _entry(raw: feedparser.FeedParserDict, feed_url: str, feed_language: str | None) -> FeedEntry | None:
    url = _http_url(feed_url, raw.get("link"))
    if url is None:
        return None
    # dict.get: feedparser's own get() falls back from "updated" to "published" (with a warning).
    published = _date(raw, "published") or _date(raw, "updated")
    return FeedEntry(
        url=url,
        title=_text(raw.get("title_detail")),
        published=published,
        updated=_date(raw, "updated"),
        summary=_text(raw.get("summary_detail")),
        authors=_unique(author.get("name") for author in raw.get("authors") or []),
        tags=_unique(tag.get("term") or tag.get("label") for tag in raw.get("tags") or []),
        language=_entry_language(raw) or feed_language,
    )


def _http_url(feed_url: str, link: str | None) -> str | None:
    if not link:
        return None
    try:
        url = urljoin(feed_url, link)  # feedparser resolved it already, unless the base itself was relative
        return url if urlsplit(url).scheme in ("http", "https") else None
    except ValueError:  # e.g. "https://[broken/": an unclosed IPv6 literal
        return None


def _date(raw: feedparser.FeedParserDict, key: str) -> str | None:
    value = dict.get(raw, key)
    if not value:
        return None
    if iso := iso_date(value):
        return iso
    # feedparser reads more formats than we do (e.g. W3C-DTF variants); its struct_time is in UTC.
    moment = dict.get(raw, f"{key}_parsed")
    try:
        return datetime(*moment[:6], tzinfo=UTC).isoformat() if moment else None
    except ValueError:  # feedparser passes on years datetime cannot hold ("year -99")
        return None


def _entry_language(raw: feedparser.FeedParserDict) -> str | None:
    # dc:language inside an item lands on the entry; xml:lang in scope shows on its text constructs.
    candidates = [dict.get(raw, "language")]
    candidates += [(dict.get(raw, key) or {}).get("language") for key in ("title_detail", "summary_detail")]
    return next((language for value in candidates if (language := iso_language(value))), None)


def _text(detail: dict | None) -> str | None:
    """The plain text of a feedparser text construct (title, summary), HTML stripped."""
    if not detail or not detail.get("value"):
        return None
    value = detail["value"]
    if "html" in (detail.get("type") or ""):
        value = _html_to_text(value)
    return " ".join(_XML_INCOMPATIBLE.sub("", value).split()) or None


def _unique(values) -> list[str]:
    """Non-empty values, whitespace collapsed, first occurrence kept."""
    cleaned = (" ".join(value.split()) for value in values if value)
    return list(dict.fromkeys(value for value in cleaned if value))
