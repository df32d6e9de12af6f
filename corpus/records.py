"""Typed records shared by collection and everything downstream (their JSON forms: docs/formats.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Extraction:
    """What extraction found in one page; `text` is empty when no main text was found."""

    url: str | None
    canonical_url: str | None
    title: str | None
    authors: list[str]
    published: str | None  # ISO 8601 date or date-time
    modified: str | None
    language: str | None  # ISO 639-1
    language_confidence: float | None
    site_name: str | None
    description: str | None
    tags: list[str]
    text: str
    extractor: str  # which extractor produced `text`, e.g. "trafilatura-2.3.1"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Article:
    """One stored article. `duplicate_of` links syndicated copies and updates to their original."""

    url: str
    text: str
    title: str | None = None
    id: int | None = None
    external_id: str | None = None
    canonical_url: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    language_confidence: float | None = None
    site_name: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    extractor: str | None = None
    source: str | None = None
    content_hash: str | None = None
    duplicate_of: int | None = None
    duplicate_kind: str | None = None  # "exact" or "near"
    fetched_at: str | None = None

    @classmethod
    def from_extraction(cls, extraction: Extraction, *, url: str, source: str | None = None) -> Article:
        data = extraction.to_dict()
        data.pop("url")
        return cls(url=url, source=source, **data)

    def to_dict(self) -> dict:
        return asdict(self)
