"""Looks at raw XML before any parser does: refuses entity declarations and names the root element.

Entity declarations (and any DTD internal subset) are what XML bombs (billion laughs, quadratic
blowup) and external-entity attacks (XXE) need; feeds and sitemaps never need them, so both are
refused outright instead of trusting each parser's own limits.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# What may precede the root element: whitespace, a byte order mark, the XML declaration, processing
# instructions, comments and the DOCTYPE (with its internal subset, if any).
_PROLOG_PART = re.compile(
    rb"""
      \s+
    | \xef\xbb\xbf
    | <\?.*?\?>
    | <!--.*?-->
    | (?P<doctype><!DOCTYPE(?:[^\[>"']|"[^"]*"|'[^']*')*(?:\[(?P<subset>.*?)\]\s*)?>)
    | <(?P<root>[A-Za-z_][\w.:-]*)
    """,
    re.DOTALL | re.IGNORECASE | re.VERBOSE,
)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\b", re.IGNORECASE)
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[", re.IGNORECASE)

# Encodings that do not keep ASCII markup as ASCII bytes, told apart by their first bytes (XML 1.0,
# appendix F). They are re-encoded as UTF-8 before scanning, so markup cannot hide from the checks.
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


@dataclass(frozen=True)
class Prolog:
    root: str | None  # the root element's qualified name, e.g. "rss" or "rdf:RDF"; None if not found
    subset: bytes | None  # the DTD internal subset, None when there is none


def scan_prolog(content: bytes) -> Prolog:
    """Walk the prolog up to the root element's start tag; stops early at anything unexpected."""
    data = _ascii_compatible(content)
    position = 0
    subset = None
    while match := _PROLOG_PART.match(data, position):
        if match["root"]:
            return Prolog(match["root"].decode("ascii"), subset)
        if match["doctype"] and match["subset"] is not None:
            subset = match["subset"]
        position = match.end()
    return Prolog(None, subset)


def root_name(content: bytes) -> str | None:
    """The root element's local name in lower case ("rss", "rdf", "urlset"), or None if not XML."""
    root = scan_prolog(content).root
    return root.rpartition(":")[2].lower() if root else None


def refusal_reason(content: bytes) -> str | None:
    """Why `content` must not be parsed (entity declarations, a DTD internal subset), or None."""
    prolog = scan_prolog(content)
    if prolog.root is None:
        # A prolog this scan cannot follow: be conservative and look through the whole document.
        data = _ascii_compatible(content)
        if _ENTITY_DECLARATION.search(data):
            return "entity declarations (XML bomb or external entity)"
        if _INTERNAL_SUBSET.search(data):
            return "DTD internal subset"
        return None
    if prolog.subset is None:
        return None
    if _ENTITY_DECLARATION.search(prolog.subset):
        return "entity declarations (XML bomb or external entity)"
    return "DTD internal subset"


def _ascii_compatible(content: bytes) -> bytes:
    for start, encoding in _WIDE_ENCODINGS:
        if content.startswith(start):
            return content.decode(encoding, errors="replace").encode("utf-8")
    return content
