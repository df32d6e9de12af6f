"""Main text and metadata of a news page: trafilatura for the text, structured markup first for metadata.

Benchmarked against trafilatura alone in docs/benchmarks.md ("Extraction"); each choice below is one
of the levers measured there.
"""

from __future__ import annotations

import json
import logging
import re
import signal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from html import unescape
from urllib.parse import urljoin, urlsplit

import trafilatura
from htmldate.extractors import try_date_expr
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document as TrafilaturaDocument
from trafilatura.utils import load_html

from incident_brief.corpus.charset import decode_html
from incident_brief.corpus.language import LanguageGuess, LanguageIdentifier
from incident_brief.corpus.records import Extraction

LOGGER = logging.getLogger(__name__)

# Real article pages stay far below this; larger inputs are mostly inlined data, and the lxml tree and
# trafilatura's passes over it grow with the input, so a 20 MB page is cut here instead.
MAX_HTML_CHARS = 3_000_000
# favor_precision drops boilerplate but sometimes most of the article; below this share of the
# balanced extraction's length the balanced one is used instead.
PRECISION_MIN_SHARE = 0.3
# A description shorter than this is a slogan rather than the article's lead paragraph.
LEAD_MIN_CHARS = 40
MAX_TEXT_TITLE_CHARS = 250  # a plain-text file's first line up to this long is its title
SENTENCE_ENDINGS = (".", ",", ";", ":", "!", "?", "…")  # a first line ending so is a sentence, no headline
CLOSING_QUOTES = " \"'”“»«’"
BINARY_SAMPLE_CHARS = 4096
MAX_ODD_SHARE = 0.05  # control or replacement characters beyond this share: binary data, not text
ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "liveblogposting",
    "techarticle",
    "scholarlyarticle",
    "report",
    "socialmediaposting",
    "discussionforumposting",
}
PAGE_TYPES = {"webpage", "itempage", "aboutpage", "collectionpage", "faqpage", "qapage"}

# Lines that point elsewhere or ask for something, in the languages the project reads most.
BOILERPLATE_LINE = re.compile(
    r"""^\W*(?:
        (?:lea|lee|mire|mira|vea|ver)\s+(?:también|tambien|más|mas)\b | (?:lea|mire|mira|vea)\s*: |
        lesen\s+sie\s+(?:auch|mehr|hier) | lies\s+auch | mehr\s+zum\s+thema | mehr\s+themen |
        weitere\s+(?:artikel|beiträge|themen|news|nachrichten|infos) | schon\s+gelesen |
        empfohlene\s+beiträge | top-themen |
        read\s+(?:more|also)\b | see\s+also\b | also\s+read\b | related\s*(?::|articles|stories|posts) |
        more\s+from\b | (?:à\s+|a\s+)?lire\s+aussi | voir\s+aussi | más\s+sobre | leggi\s+anche |
        © | \(c\)\s | copyright\b | crédits?\s+photos? | (?:photo|foto|bild)\s*: |
        subscribe\b | sign\s+up\b | jetzt\s+abonnieren | abonnez-vous | follow\s+us\b | folge\s+uns\b |
        síguenos | siguenos | suivez-nous
    ).{0,150}$""",
    re.IGNORECASE | re.VERBOSE,
)

TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·•:»⋆│/]\s+|\s*\|\s*")
AUTHOR_PREFIX = re.compile(
    r"^(?:(?:written|posted|posted\s+by|text|autor(?:in)?|author|auteur|redakteur(?:in)?|beitrag|"
    r"artikel|ein\s+beitrag|geschrieben)\s*(?:von|by|par|:)?|by|von|vom|par|por)\s*[:\-]?\s+",
    re.IGNORECASE,
)
AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\|| / |\s&\s|\band\b|\bund\b|\bet\b|\by\b)\s*", re.IGNORECASE)
AUTHOR_NOISE = re.compile(
    r"\S+@\S+|\S+\s?\[at\]\s?\S+|(?:https?://|www\.)[^\s)]+|(?<!\w)@\w+|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}:\d{2}"
)
CREDENTIAL = re.compile(
    r"^(?:ph\.?\s?d\.?|m\.?d\.?|dr\.?|prof\.?|mba|m\.?sc\.?|b\.?sc\.?|jr\.?|sr\.?)$", re.I
)
# Words that mark a byline fragment as a role, a place or a call to action rather than a name.
AUTHOR_STOPWORDS = re.compile(
    r"\b(?:says|said|posted|updated|aktualisiert|veröffentlicht|publié|publicado|minutes?|minuten|"
    r"read|lesezeit|follow|share|teilen|comments?|kommentare?|editor|correspondent|reporter|"
    r"staff\s+writer|contributor|redakteur(?:in)?|korrespondent(?:in)?)\b",
    re.IGNORECASE,
)
MAX_AUTHOR_WORDS = 5
# Properties that name the publication itself. The generic "date" / "dc.date" / "dcterms.date" are left
# to htmldate: sites often fill them with the last change.
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "dc.date.issued",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
)
WRITTEN_BY = re.compile(
    r"^(?:written\s+by|verfasst\s+von|geschrieben\s+von|écrit\s+par|escrito\s+por)$", re.I
)
AUTHOR_MARKUP = XPath(
    '//a[@rel="author"] | //*[@itemprop="author"]//*[@itemprop="name"]'
    ' | //*[contains(concat(" ", normalize-space(@class), " "), " vcard ")]'
    '//*[contains(concat(" ", normalize-space(@class), " "), " fn ")]'
)
COMMENT_CONTAINER = re.compile(r"comment|respond|reply|discussion", re.I)
# An <h1> shorter than this share of the declared title is a label or section name, not the headline.
HEADLINE_MIN_SHARE = 0.5

# Dates: news sites did not exist before this; later dates are checked against today.
EARLIEST_DATE = date(1995, 1, 1)
EARLIEST_DATETIME = datetime(1995, 1, 1)
# The byline is searched in the text right after the headline: this much text, in lines of at most
# BYLINE_MAX_CHARS (longer ones are prose, unless they start with a dateline of DATELINE_CHARS).
BYLINE_SEARCH_CHARS = 600
BYLINE_MAX_CHARS = 60
DATELINE_CHARS = 25
# A text holding a publication label is searched this far after the label.
LABEL_MAX_CHARS = 200
LABEL_VALUE_CHARS = 60
NOT_BYLINE_TAGS = {
    "script", "style", "noscript", "template", "svg", "button", "select", "option", "form", "nav", "aside",
    "footer",
}  # fmt: skip
# Containers of other articles' or readers' dates.
ASIDE_CONTAINER = re.compile(
    r"comment|respond|reply|discussion|related|teaser|sidebar|widget|recommend|share|social|newsletter", re.I
)
HIDDEN_OR_MODIFIED = re.compile(r"hidden|datemodified", re.I)
UPDATED_MARK = re.compile(r"updated|modified", re.I)
PUBLISHED_MARK = re.compile(r"published|entry-date", re.I)
PUBLISHED_MARKUP = XPath('//body//*[@itemprop="datePublished"] | //body//time[@pubdate]')
UPDATE_LABEL = re.compile(
    r"updated|aktualisiert|geändert|modifi|mis\s+à\s+jour|actualizado|aggiornato|päivitetty|bijgewerkt|edit",
    re.I,
)
PUBLISHED_LABEL = re.compile(
    r"\b(?:veröffentlicht|erschienen|erstellt|publiziert|published|posted|written|publié|publicado|pubblicato|"
    r"gepubliceerd|publicerad|julkaistu|datum|date)\b\s*(?:am|on|le|el|il|op|den)?\s*:?",
    re.I,
)
# "available until 28.02.2021" is an expiry, not a publication
UNTIL = re.compile(r"\b(?:bis|until|till|jusqu|hasta|fino\s+al)\b", re.I)
FOUR_DIGIT_YEAR = re.compile(r"(?:19|20)\d{2}")
NUMERIC_LINE = re.compile(r"^[\d\s.,:/|\-–]+(?:uhr|h|am|pm)?$", re.I)
SPACED_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.\s+(\d{1,2})\.\s*((?:19|20)\d{2})\b")
# Where a date may be written out in a line; htmldate's parser reads the span (it refuses whole lines with
# other numbers in them, such as "Berlin, 28.10.2021, 058/21").
DATE_SPAN = re.compile(
    r"""(?<![\w./-])(?:
        (?:19|20)\d{2}-\d{1,2}-\d{1,2}
      | \d{1,2}\.\s?\d{1,2}\.\s?(?:(?:19|20)\d{2}|\d{2})
      | \d{1,2}/\d{1,2}/(?:(?:19|20)\d{2}|\d{2})
      | \d{1,2}(?:\.|st|nd|rd|th)?\s+(?:de\s+)?[^\W\d_]{3,10}\.?,?\s+(?:de\s+)?(?:19|20)\d{2}
      | [^\W\d_]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}
    )(?![\w/-]|\.\d)""",
    re.VERBOSE,
)


@dataclass
class StructuredMetadata:
    """Candidates read from JSON-LD and <meta> markup, before any choice between them."""

    json_ld: list[dict] = field(default_factory=list)  # article objects first, then web pages
    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-cased name/property/itemprop

    def first_meta(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, []):
                if value.strip():
                    return value.strip()
        return None

    def first_json(self, *keys: str) -> object | None:
        return _first_value(self.json_ld, keys)

    def first_article(self, *keys: str) -> object | None:
        """Like first_json, but only from article objects (a web page's "name" is often the site's)."""
        return _first_value([obj for obj in self.json_ld if _types(obj) & ARTICLE_TYPES], keys)


def _first_value(objects: list[dict], keys: tuple[str, ...]) -> object | None:
    for obj in objects:
        for key in keys:
            if obj.get(key):
                return obj[key]
    return None


class Extractor:
    """Extracts one page at a time; one instance serves a whole run.

    Without a language identifier the language is left to the caller: collect identifies it once in
    its main process, so extraction workers do not each hold a copy of the language model.
    """

    def __init__(self, language_identifier: LanguageIdentifier | None = None):
        self._languages = language_identifier
        self._name = f"trafilatura-{trafilatura.__version__}+ib"

    def extract(self, html: str | bytes, url: str | None = None, media_type: str | None = None) -> Extraction:
        """The main text and metadata of an HTML page, or of plain text (`media_type` "text/plain")."""
        if isinstance(html, bytes):
            html, _encoding = decode_html(html)
        if media_type == "text/plain":
            return self._plain_text(html, url)
        html = html[:MAX_HTML_CHARS]
        tree = _parse(html)
        if tree is None:
            return _empty(url)
        found = read_structured_metadata(tree)
        fallback = _trafilatura_metadata(tree, url)
        site_name = _site_name(found, fallback)
        canonical = _canonical_url(tree, found, url)
        text, mode = _main_text(tree, url or canonical)
        text = _with_lead(tree, text, found)
        guess = self._languages.identify(text) if self._languages else LanguageGuess(None, 0.0)
        title = choose_title(tree, found, fallback.title, site_name, url or canonical)
        return Extraction(
            url=url,
            canonical_url=canonical,
            title=title,
            authors=choose_authors(tree, found, fallback.author),
            published=read_date_evidence(tree, found, title, fallback.date).published(),
            modified=_modified(found),
            language=guess.language,
            language_confidence=guess.confidence if guess.language else None,
            site_name=site_name,
            description=_clean(_first_str(found.first_json("description")))
            or found.first_meta("og:description", "description", "twitter:description")
            or fallback.description,
            tags=_tags(found, fallback.tags),
            text=text,
            extractor=f"{self._name}:{mode}" if text else "none",
        )

    def _plain_text(self, content: str, url: str | None) -> Extraction:
        """A plain-text article: its non-empty lines are its paragraphs. When more lines follow, a short
        first line is the title; without closing punctuation it is a headline (the title, not body text),
        else the lead sentence, which stays in the body. Binary data (NUL bytes, mostly control or
        undecodable characters) is no text."""
        content = content[:MAX_HTML_CHARS]
        if _binary(content):
            return _empty(url)
        paragraphs = [line.strip() for line in content.splitlines() if line.strip()]
        title = None
        if len(paragraphs) > 1 and len(paragraphs[0]) <= MAX_TEXT_TITLE_CHARS:
            title = paragraphs[0].rstrip(",;: ")
            if not paragraphs[0].rstrip(CLOSING_QUOTES).endswith(SENTENCE_ENDINGS):
                paragraphs = paragraphs[1:]  # « … » closing a headline ends no sentence
        text = "\n".join(paragraphs)
        guess = self._languages.identify(text) if self._languages and text else LanguageGuess(None, 0.0)
        return replace(
            _empty(url),
            title=title,
            language=guess.language,
            language_confidence=guess.confidence if guess.language else None,
            text=text,
            extractor="plain-text" if text else "none",
        )


def _binary(text: str) -> bool:
    sample = text[:BINARY_SAMPLE_CHARS]
    if "\x00" in sample:
        return True
    odd = sum(1 for c in sample if c == "\ufffd" or (ord(c) < 32 and c not in "\n\r\t\f"))
    return bool(sample) and odd / len(sample) > MAX_ODD_SHARE


def _empty(url: str | None) -> Extraction:
    return Extraction(
        url=url,
        canonical_url=None,
        title=None,
        authors=[],
        published=None,
        modified=None,
        language=None,
        language_confidence=None,
        site_name=None,
        description=None,
        tags=[],
        text="",
        extractor="none",
    )


def _parse(html: str) -> HtmlElement | None:
    if not html.strip():
        return None
    try:
        return load_html(html)
    except (ValueError, TypeError) as err:  # lxml refuses some inputs (e.g. only control characters)
        LOGGER.debug("unparsable page: %s", err)
        return None


# --- main text ---------------------------------------------------------------------------------


def _main_text(tree: HtmlElement, url: str | None) -> tuple[str, str]:
    """The text and which trafilatura mode produced it ("precision" or "balanced")."""
    balanced = _trafilatura_text(tree, url)
    precise = _trafilatura_text(tree, url, favor_precision=True)
    if len(precise) >= PRECISION_MIN_SHARE * len(balanced):
        return drop_boilerplate_lines(precise), "precision"
    return drop_boilerplate_lines(balanced), "balanced"


def _trafilatura_text(tree: HtmlElement, url: str | None, **options: bool) -> str:
    try:
        document = bare_extraction(tree, url=url, include_comments=False, **options)
    except Exception as err:  # trafilatura has no error contract; a page must never stop a run
        LOGGER.warning("trafilatura failed on %s: %s", url, err)
        return ""
    return (document.text or "") if document is not None else ""


def _with_lead(tree: HtmlElement, text: str, found: StructuredMetadata) -> str:
    """Put back the standfirst: extractors often skip the lead paragraph, which sites reuse as their
    description. Only a description that the page also shows as a paragraph of its own counts."""
    description = _clean(found.first_meta("og:description", "description", "twitter:description"))
    if not text or not description or len(description) < LEAD_MIN_CHARS:
        return text
    probe = description[:LEAD_MIN_CHARS].rstrip(".… ")
    if probe in " ".join(text.split()):
        return text
    body = tree.find("body")
    for element in body.iter("p", "h2", "div", "strong") if body is not None else ():
        shown = _clean(element.text_content()) or ""
        if shown.startswith(probe) and len(shown) <= 2 * len(description):
            return f"{shown}\n{text}"
    return text


def drop_boilerplate_lines(text: str) -> str:
    """Remove "read also" teasers, credits and calls to subscribe or follow that sit between paragraphs."""
    kept = [line for line in text.split("\n") if not BOILERPLATE_LINE.match(line.strip())]
    return "\n".join(kept).strip()


# --- structured metadata -------------------------------------------------------------------------


def read_structured_metadata(tree: HtmlElement) -> StructuredMetadata:
    objects = list(_json_ld_objects(tree))
    articles = [obj for obj in objects if _types(obj) & ARTICLE_TYPES]
    pages = [obj for obj in objects if _types(obj) & PAGE_TYPES]
    meta: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content:
            meta.setdefault(key.strip().lower(), []).append(content)
    return StructuredMetadata(json_ld=articles + pages, meta=meta)


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; the other sources still count
        yield from _flatten(data)


def _flatten(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        yield from _flatten(data.get("@graph", []))
        main = data.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _flatten(main)


def _types(obj: dict) -> set[str]:
    kind = obj.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _trafilatura_metadata(tree: HtmlElement, url: str | None) -> TrafilaturaDocument:
    try:
        return extract_metadata(tree, default_url=url)
    except Exception as err:  # see _trafilatura_text
        LOGGER.warning("trafilatura metadata failed on %s: %s", url, err)
        return TrafilaturaDocument()


def _first_str(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return value if isinstance(value, str) else None


def _clean(text: str | None) -> str | None:
    cleaned = " ".join(unescape(text or "").split())  # JSON-LD strings often keep entities
    return cleaned or None


def _site_name(found: StructuredMetadata, fallback: TrafilaturaDocument) -> str | None:
    publisher = _first_str(found.first_json("publisher"))
    return _clean(found.first_meta("og:site_name", "application-name") or publisher or fallback.sitename)


def _canonical_url(tree: HtmlElement, found: StructuredMetadata, url: str | None) -> str | None:
    candidates = [
        link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "").lower()
    ]
    candidates.append(found.first_meta("og:url"))
    for candidate in candidates:
        if candidate and candidate.strip():
            resolved = urljoin(url or "", candidate.strip())
            if urlsplit(resolved).scheme in ("http", "https"):
                return resolved
    return None


def _tags(found: StructuredMetadata, fallback: Iterable[str] | None) -> list[str]:
    raw: list[str] = list(found.meta.get("article:tag", []))
    keywords = found.first_json("keywords")
    if isinstance(keywords, list):
        raw.extend(str(k) for k in keywords)
    elif isinstance(keywords, str):
        raw.extend(keywords.split(","))
    raw.extend(found.meta.get("keywords", []))
    raw.extend(fallback or [])
    tags: dict[str, str] = {}
    for tag in (part for entry in raw for part in entry.split(",")):
        cleaned = _clean(tag)
        if cleaned:
            tags.setdefault(cleaned.casefold(), cleaned)
    return list(tags.values())


# --- title ---------------------------------------------------------------------------------------


def choose_title(
    tree: HtmlElement, found: StructuredMetadata, fallback: str | None, site_name: str | None, url: str | None
) -> str | None:
    """The headline as the page shows it: the <h1> when the declared titles contain it, else the
    declared title (JSON-LD headline, og:title, <title>) with site-name parts removed."""
    declared = [
        _clean(_first_str(found.first_article("headline", "name"))),
        _clean(found.first_meta("og:title", "twitter:title")),
        _clean(fallback),
        _clean(tree.findtext(".//title")),
    ]
    site_words = _site_words(site_name, url)
    stripped = [strip_site_name(title, site_words) for title in declared if title]
    for heading in _headings(tree):
        folded = heading.casefold()
        # a kicker or dek may surround the headline in the declared title, but the <h1> of a blog
        # is often the blog's name or a short label
        if any(
            folded in title.casefold() and len(heading) >= HEADLINE_MIN_SHARE * len(title)
            for title in stripped
        ):
            return heading
    if stripped:
        return stripped[0]
    headings = _headings(tree)
    return headings[0] if headings else None


def _headings(tree: HtmlElement) -> list[str]:
    headings = []
    for element in tree.iter("h1"):
        text = _clean(element.text_content())
        if text and text not in headings:
            headings.append(text)
    return headings[:3]


def _site_words(site_name: str | None, url: str | None) -> set[str]:
    """Squashed forms of the site's name as titles show it: "Aerobuzz.de", "AEROBUZZ", "Teufel Blog"."""
    words = set()
    if site_name:
        words.add(_squash(site_name))
    host = urlsplit(url or "").hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if labels:
        words.add(_squash(".".join(labels)))
        if len(labels) >= 2:
            words.add(_squash(labels[-2]))
    return {word for word in words if len(word) >= 3}


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def strip_site_name(title: str, site_words: set[str]) -> str:
    """Drop leading or trailing title parts that name the site ("Headline | Site", "SITE - Headline")."""
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) == 1:
        return title

    while len(parts) > 1 and _names_site(parts[-1], site_words):
        parts.pop()
    while len(parts) > 1 and _names_site(parts[0], site_words, exact=True):
        parts.pop(0)
    if len(parts) == len(TITLE_SEPARATORS.split(title)):
        return title  # nothing named the site: keep separators that belong to the headline
    return _rejoin(title, parts)


def _names_site(part: str, site_words: set[str], exact: bool = False) -> bool:
    """Whether a title part is the site's name: equal to it, or (at the end) a piece of it or it plus a
    short suffix such as a TLD ("Teufel Blog" of "Das Lautsprecher Teufel Blog", "Aerobuzz.de")."""
    squashed = _squash(part)
    if not squashed or squashed in site_words:
        return True
    if exact:
        return False
    return any(
        (len(squashed) >= 4 and squashed in word) or (word in squashed and len(squashed) <= len(word) + 4)
        for word in site_words
    )


def _rejoin(title: str, parts: list[str]) -> str:
    """The stretch of the original title from the first to the last kept part (keeps its separators)."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if 0 <= start < end else " ".join(parts)


# --- authors -------------------------------------------------------------------------------------


def choose_authors(tree: HtmlElement, found: StructuredMetadata, fallback: str | None) -> list[str]:
    """JSON-LD article authors, else author meta tags, else author markup (rel=author, hCard, itemprop),
    else trafilatura's byline search; cleaned."""
    article = found.json_ld[0] if found.json_ld and _types(found.json_ld[0]) & ARTICLE_TYPES else {}
    credited = article.get("author") or article.get("creator")
    sources = [
        list(_json_ld_names(credited, people=True)),
        [
            value
            for key in ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")
            for value in found.meta.get(key, [])
            if not value.strip().lower().startswith(("http://", "https://", "www."))
        ],
        _written_by(found),
        _marked_up_author(tree),
        (fallback or "").split(";"),
        list(_json_ld_names(credited, people=False)),  # an organisation only when no person is named
    ]
    for raw in sources:
        names = clean_authors(raw)
        if names:
            return names
    return []


def _written_by(found: StructuredMetadata) -> list[str]:
    """Yoast's Twitter card pair: twitter:label1 "Written by" / twitter:data1 "Jane Doe"."""
    labels, values = found.meta.get("twitter:label1", []), found.meta.get("twitter:data1", [])
    if labels and values and WRITTEN_BY.match(labels[0].strip()):
        return [values[0]]
    return []


def _marked_up_author(tree: HtmlElement) -> list[str]:
    """The first author named in markup outside comment sections (commenters use the same hCard classes)."""
    for element in AUTHOR_MARKUP(tree):
        if not any(
            COMMENT_CONTAINER.search(f"{a.get('class', '')} {a.get('id', '')}")
            for a in element.iterancestors()
        ):
            text = _clean(element.text_content())
            if text:
                return [text]
    return []


def _json_ld_names(value: object, people: bool) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _json_ld_names(item, people)
    elif isinstance(value, dict):
        if ("organization" in " ".join(_types(value))) == people:
            return
        name = value.get("name")
        if isinstance(name, str):
            yield name
        elif name is None and isinstance(value.get("givenName"), str):
            yield f"{value['givenName']} {value.get('familyName') or ''}".strip()
    elif isinstance(value, str) and people and not value.startswith(("http://", "https://")):
        yield value


def clean_authors(raw: Iterable[str]) -> list[str]:
    """ "By Jane Doe and John Roe, Senior Editor" -> ["Jane Doe", "John Roe"]."""
    names: dict[str, str] = {}
    for entry in raw:
        entry = AUTHOR_NOISE.sub(" ", " ".join(entry.split()))
        entry = AUTHOR_PREFIX.sub("", entry.strip(" -–—|:·"))
        for position, part in enumerate(AUTHOR_SPLIT.split(entry)):
            name = AUTHOR_PREFIX.sub("", part.strip(" -–—|:·()[]\"'")).strip(" .,")
            if not name or CREDENTIAL.match(name) or AUTHOR_STOPWORDS.search(name):
                continue
            words = name.split()
            if len(words) > MAX_AUTHOR_WORDS or not any(char.isalpha() for char in name):
                continue
            # after a comma a lower-case phrase is a role ("Jane Doe, senior reporter"), not a name
            if position and name[0].islower() and len(words) > 1:
                continue
            names.setdefault(name.casefold(), name)
    return list(names.values())


# --- dates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateEvidence:
    """The signals a publication date is chosen from, kept apart so that the choice can be inspected."""

    declared: str | None  # JSON-LD datePublished or a publication <meta>, ISO date or date-time
    shown: str | None  # the date printed next to the headline (the byline), ISO date
    labelled: str | None  # a date printed after "Published" / "Veröffentlicht am" … anywhere, ISO date
    marked_up: str | None  # itemprop=datePublished or <time pubdate> in the page body
    modified: str | None  # the declared last change
    htmldate: str | None  # htmldate's guess (original date, extensive search), run by trafilatura

    def published(self) -> str | None:
        """The original publication date; a date-time when a declared one names the chosen day.

        The byline comes first: it is what readers see, and a declared date that disagrees with it is
        more often a template or first-draft value than the page. A byline that shows the day of the
        last change, after the declared publication, shows the update instead, and the declared date
        stays. Without a byline: the declared date, then a labelled or marked-up date, then htmldate.
        """
        declared_day = _local_day(self.declared)
        if self.shown and self.shown != declared_day and not self._shows_update():
            return self.shown
        if self.declared:
            return self.declared if declared_day == self.declared[:10] else declared_day
        return self.labelled or self.marked_up or _iso(self.htmldate)

    def _shows_update(self) -> bool:
        declared_day = _local_day(self.declared)
        return bool(
            declared_day and self.modified and self.shown == self.modified[:10] and declared_day < self.shown
        )


def date_evidence(html: str | bytes, url: str | None = None) -> DateEvidence | None:
    """The date signals of one page as Extractor.extract reads them, for error analysis; None when the
    page cannot be parsed."""
    if isinstance(html, bytes):
        html, _encoding = decode_html(html)
    tree = _parse(html[:MAX_HTML_CHARS])
    if tree is None:
        return None
    found = read_structured_metadata(tree)
    fallback = _trafilatura_metadata(tree, url)
    canonical = _canonical_url(tree, found, url)
    title = choose_title(tree, found, fallback.title, _site_name(found, fallback), url or canonical)
    return read_date_evidence(tree, found, title, fallback.date)


def read_date_evidence(
    tree: HtmlElement, found: StructuredMetadata, title: str | None, htmldate_day: str | None
) -> DateEvidence:
    declared = _iso(_first_str(found.first_json("datePublished", "dateCreated"))) or _iso(
        found.first_meta(*PUBLISHED_META)
    )
    shown = _byline_date(tree, title)
    # the page-wide searches run only when nothing better exists
    labelled = None if shown or declared else _labelled_date(tree)
    marked_up = None if shown or declared or labelled else _marked_up_date(tree)
    return DateEvidence(
        declared=declared if _plausible(declared) else None,
        shown=shown,
        labelled=labelled,
        marked_up=marked_up,
        modified=_modified(found),
        htmldate=htmldate_day,
    )


def _modified(found: StructuredMetadata) -> str | None:
    return _iso(_first_str(found.first_json("dateModified"))) or _iso(
        found.first_meta("article:modified_time", "og:updated_time", "datemodified")
    )


def _plausible(value: str | None) -> bool:
    """Not before the web had news sites, not after today (a template's far-future placeholder)."""
    return bool(value) and EARLIEST_DATE.isoformat() <= value[:10] <= date.today().isoformat()


def _byline_date(tree: HtmlElement, title: str | None) -> str | None:
    """The first date in the short lines that follow the headline: the byline or dateline."""
    headline = _headline_element(tree, title)
    if headline is None:
        return None
    for chunk in _text_after(headline, BYLINE_SEARCH_CHARS):
        line = " ".join(chunk.split())
        if len(line) > BYLINE_MAX_CHARS:
            if not line[0].isdigit():
                continue  # prose; only a dateline ("29.11.2022 – Berlin …") starts with its date
            line = line[:DATELINE_CHARS]
        if UPDATE_LABEL.search(line) or UNTIL.search(line):
            continue
        # a date without a four-digit year ("4.8.12") counts only as a line of its own ("WordPress 4.8.12")
        if not FOUR_DIGIT_YEAR.search(line) and not NUMERIC_LINE.match(line):
            continue
        found = parse_visible_date(line)
        if found:
            return found
    return None


def _headline_element(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The <h1> or <h2> showing the chosen title, else the longest <h1> (the first is often the logo)."""
    longest, longest_len = None, 0
    for element in tree.iter("h1", "h2"):
        text = " ".join(element.text_content().split())
        if title and text == title:
            return element
        if element.tag == "h1" and len(text) > longest_len:
            longest, longest_len = element, len(text)
    return longest


def _text_after(element: HtmlElement, limit: int) -> Iterator[str]:
    """Visible text after element in document order, up to about limit characters, without asides."""
    seen = 0
    node = element
    while node is not None:
        if node.tail and node.tail.strip():
            yield node.tail
        for sibling in node.itersiblings():
            for chunk in _visible_text(sibling):
                if chunk.strip():
                    yield chunk
                    seen += len(chunk)
                    if seen > limit:
                        return
            if sibling.tail and sibling.tail.strip():
                yield sibling.tail
        node = node.getparent()


def _visible_text(element: HtmlElement) -> Iterator[str]:
    if not isinstance(element.tag, str) or element.tag in NOT_BYLINE_TAGS or _is_aside(element):
        return
    marks = f"{element.get('class') or ''} {element.get('itemprop') or ''}"
    # hAtom: "updated" alone marks the last change; WordPress themes put it on the published date too
    if HIDDEN_OR_MODIFIED.search(marks) or (UPDATED_MARK.search(marks) and not PUBLISHED_MARK.search(marks)):
        return
    if element.text:
        yield element.text
    for child in element:
        yield from _visible_text(child)
        if child.tail:
            yield child.tail


def _is_aside(element: HtmlElement) -> bool:
    return bool(ASIDE_CONTAINER.search(f"{element.get('class') or ''} {element.get('id') or ''}"))


def _labelled_date(tree: HtmlElement) -> str | None:
    """A date printed after a publication label ("Erstellt am: 01.11.2023"), outside asides."""
    for text in tree.xpath("//body//text()"):
        label = PUBLISHED_LABEL.search(text) if len(text) <= LABEL_MAX_CHARS else None
        if not label or UPDATE_LABEL.search(text[: label.start()]):
            continue
        rest = text[label.end() : label.end() + LABEL_VALUE_CHARS]
        container = text.getparent()
        if text.is_tail:  # the text after an element belongs to that element's parent
            container = container.getparent()
        if (
            container is None
            or UNTIL.search(rest)
            or any(
                ancestor.tag in NOT_BYLINE_TAGS or _is_aside(ancestor)
                for ancestor in (container, *container.iterancestors())
            )
        ):
            continue
        found = parse_visible_date(rest)
        if found:
            return found
    return None


def _marked_up_date(tree: HtmlElement) -> str | None:
    for element in PUBLISHED_MARKUP(tree):
        if any(_is_aside(ancestor) for ancestor in element.iterancestors()):
            continue
        value = element.get("datetime") or element.get("content") or element.text_content()
        found = _iso(value)
        if _plausible(found):
            return found
    return None


def parse_visible_date(text: str) -> str | None:
    """The first date written out in text ("3. März 2024", "June 12, 2023", "29.04.2020, 12:01 Uhr")
    as an ISO date, read by htmldate's parser; None when there is none."""
    text = SPACED_NUMERIC_DATE.sub(r"\1.\2.\3", " ".join(text.split()))
    for match in DATE_SPAN.finditer(text):
        found = try_date_expr(match.group(0), "%Y-%m-%d", True, EARLIEST_DATETIME, _end_of_today())
        if found:
            return found
    return None


def _end_of_today() -> datetime:
    return datetime.combine(date.today(), time.max)


def _local_day(value: str | None) -> str | None:
    """The calendar day of a date-time in its own offset. A date-time at exactly 22:00 or 23:00 UTC is a
    European CMS's local midnight, i.e. a date without time: that is the next day."""
    if not value or len(value) <= 10:
        return value
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() == timedelta(0) and moment.time() in (time(22), time(23)):
        return (moment.date() + timedelta(days=1)).isoformat()
    return value[:10]


def _iso(value: str | None) -> str | None:
    """ISO 8601 date or date-time from the forms pages declare; None for anything else."""
    if not value:
        return None
    value = value.strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?", value)
    if match:
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        try:
            date(year, month, day)
        except ValueError:
            return None
        if match.group(4):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
            except ValueError:
                partial = match.group(0).replace(" ", "T")
            try:
                datetime.fromisoformat(partial)
            except ValueError:
                return partial[:10]  # an impossible time ("25:99"); the day is still meant
            return partial
        return match.group(0)
    match = re.match(r"(\d{4})(\d{2})(\d{2})$", value)
    if match:
        try:
            return date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            return None
    return None


# Extraction worker processes (collect's pool): each builds one Extractor when it starts. This module
# imports no heavy model, so a worker holds only what extraction needs.
_worker_extractor: Extractor | None = None


def init_worker() -> None:
    global _worker_extractor
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and shuts the pool down
    _worker_extractor = Extractor()


def extract_in_worker(content: bytes, url: str) -> Extraction:
    return _worker_extractor.extract(content, url)
