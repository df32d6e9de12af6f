"""The incident brief as typed records; `Brief.to_dict()` is the JSON form (docs/brief.schema.json).

Everything a brief states carries its evidence: the article id and the character offsets of the
words in that article's stored text. Texts in a brief are already cleaned (briefs/text.py).
"""

from __future__ import annotations

import functools
import re
import types
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

SCHEMA_VERSION = 2  # 2: key_facts.actors[].kind (a campaign is no threat actor)
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(?:\.\d+)?(Z|[+-]00:00)?$")


def readable_time(timestamp: str | None, *, seconds: bool = False) -> str:
    """A stored UTC time as people read it: "2026-11-28T20:51:13+00:00" -> "2026-11-28 20:51 UTC" (with
    `seconds`, "2026-11-28 20:51:13 UTC"); anything else as it is, nothing as ""."""
    if not timestamp:
        return ""
    match = _TIMESTAMP.match(timestamp)
    if match is None:
        return timestamp
    shown = f"{match[1]} {match[2]}" + (match[3] or "" if seconds else "")
    return shown + (" UTC" if match[4] else "")


@dataclass(frozen=True)
class Evidence:
    """Where a statement comes from: `article.text[start:end]` of article `article_id`."""

    article_id: int
    start: int
    end: int
    language: str | None


@dataclass
class Source:
    article_id: int
    outlet: str
    language: str | None
    published: str | None  # publication time of the report, never an event time
    url: str
    title: str | None
    syndicated_copy_of: int | None  # the article this one is a copy of (same wire story, an update)
    independent: bool  # an original report; copies add reach, not corroboration


@dataclass
class SummarySentence:
    text: str
    language: str | None
    evidence: list[Evidence]  # the source sentence(s); several when a rewrite merged them


@dataclass
class TimelineEntry:
    value: str  # TIMEX3 value of the event time: 2026-10-12, 2026-10, 2026-W41, 2026-10-12T08:30
    precision: str  # "minute", "hour", "day", "week", "month", "quarter", "year"
    mod: str | None  # TIMEX3 mod: START, END, MID, APPROX, BEFORE, AFTER ...
    expression: str  # the words as written: "am vergangenen Freitag"
    sentence: str
    evidence: list[Evidence]
    reported: str | None  # publication date of the earliest report stating it


@dataclass
class Person:
    name: str
    role: str | None
    employer: str | None


@dataclass
class QuoteReport:
    """One outlet's rendering of a quote (in its language, with its own cue and medium)."""

    text: str
    language: str | None
    kind: str  # "direct", "partial", "indirect"
    medium: str | None
    evidence: Evidence
    quote_id: str | None  # the quote's id in the article's analysis ("q1"), where it has one


@dataclass
class QuoteGroup:
    """The same statement, reported by several outlets or in translation, shown once."""

    speaker: Person | None
    text: str  # the report chosen to show: in the brief's language where there is one
    language: str | None
    kind: str
    medium: str | None
    reports: list[QuoteReport]

    def wordings(self) -> list[list[QuoteReport]]:
        """The reports by wording, the shown wording first: one line per wording with all its sources."""
        by_text: dict[str, list[QuoteReport]] = {self.text: []}
        for report in self.reports:
            by_text.setdefault(report.text, []).append(report)
        return [reports for reports in by_text.values() if reports]


@dataclass
class Party:
    name: str
    kb_id: str | None


@dataclass
class Control:
    id: str
    title: str
    score: float


@dataclass
class RequirementEntry:
    text: str
    statement: str | None
    requester: Party | None
    addressee: Party | None
    modality: str | None
    polarity: str | None
    language: str | None
    confidence: float | None
    controls: list[Control]
    mitigations: list[Control]
    evidence: list[Evidence]


@dataclass
class Alias:
    name: str
    source: str  # who uses the name: "attack", "microsoft", or several: "attack, microsoft"


@dataclass
class ActorFact:
    name: str
    kb_id: str | None
    aliases: list[Alias]
    article_ids: list[int]
    # the catalog's kind: "group", "microsoft" (a group only Microsoft names) or "campaign" (an ATT&CK
    # campaign: an operation, not who ran it); a brief of schema version 1 has none: its actors are groups
    kind: str = "group"

    @property
    def label(self) -> str:
        return "Campaign" if self.kind == "campaign" else "Threat actor"


@dataclass
class EntityFact:
    name: str
    kb_id: str | None
    article_ids: list[int]


@dataclass
class PersonFact:
    name: str
    role: str | None
    employer: str | None
    article_ids: list[int]


@dataclass
class MoneyFact:
    text: str
    amount: float | None
    currency: str | None
    evidence: Evidence


@dataclass
class KeyFacts:
    actors: list[ActorFact] = field(default_factory=list)
    organisations: list[EntityFact] = field(default_factory=list)
    people: list[PersonFact] = field(default_factory=list)
    products: list[EntityFact] = field(default_factory=list)
    vulnerabilities: list[EntityFact] = field(default_factory=list)
    money: list[MoneyFact] = field(default_factory=list)


@dataclass
class ConflictingValue:
    value: str
    text: str
    evidence: Evidence


@dataclass
class Contradiction:
    """Independent sources state different dates or figures for what reads as the same fact."""

    kind: str  # "date" or "figure"
    values: list[ConflictingValue]


@dataclass
class Confidence:
    level: str  # "low", "medium", "high"
    score: float  # 0-1
    independent_sources: int
    outlets: int
    languages: list[str]
    corroboration: float  # share of summary sentences another independent source also states
    contradictions: list[Contradiction]
    reasons: list[str]


@dataclass
class Changes:
    """What is new since the previous brief of this incident."""

    previous_generated_at: str
    new_sources: list[int]  # article ids
    new_quotes: list[str]  # quote texts
    new_requirements: list[str]  # requirement texts


@dataclass
class Review:
    """The analysts' verdict on the incident when the brief was written (`brief serve`, docs/review.md)."""

    status: str  # new (never reviewed), in review, approved, rejected
    by: str | None  # the analyst who set it
    at: str | None  # when (UTC, ISO 8601)

    def describe(self) -> str:
        """ "approved by ana at 2026-11-29 01:40 UTC", or "not reviewed"."""
        if self.status == "new":
            return "not reviewed"
        by = f" by {' '.join(self.by.split())}" if self.by else ""  # one line, whatever the name holds
        return f"{self.status}{by} at {readable_time(self.at)}" if self.at else f"{self.status}{by}"


@dataclass
class Brief:
    incident_id: str
    headline: str
    language: str  # the language asked for; summary sentences in another one say so
    generated_at: str
    method: str  # "extractive" or "abstractive:<model>"
    summary: list[SummarySentence]
    key_facts: KeyFacts
    timeline: list[TimelineEntry]
    quotes: list[QuoteGroup]
    requirements: list[RequirementEntry]
    sources: list[Source]
    confidence: Confidence
    changes: Changes | None = None
    review: Review | None = None  # set where the review state was read (every written brief)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Brief:
        """A stored brief of this or an older schema version, as one of this version: fields added since
        take their defaults."""
        return _build(cls, {**data, "schema_version": SCHEMA_VERSION})

    def source(self, article_id: int) -> Source | None:
        return next((s for s in self.sources if s.article_id == article_id), None)

    @property
    def languages(self) -> list[str]:
        return sorted({s.language for s in self.sources if s.language})


def quotes_by_speaker(groups: list[QuoteGroup]) -> list[tuple[str, list[QuoteGroup]]]:
    """Quote groups under their speaker's label ("Lena Krüger (CISO, Nordwind Energie)"), in order."""
    speakers: dict[str, list[QuoteGroup]] = {}
    for group in groups:
        label = "Unattributed"
        if group.speaker:
            about = ", ".join(p for p in (group.speaker.role, group.speaker.employer) if p)
            label = group.speaker.name + (f" ({about})" if about else "")
        speakers.setdefault(label, []).append(group)
    return list(speakers.items())


def _build(kind: Any, value: Any) -> Any:
    """A JSON value as the typed record `kind` (dataclasses, lists, optionals, scalars)."""
    return _builder(kind)(value)


def _same(value: Any) -> Any:
    return value


@functools.cache
def _builder(kind: Any):
    """A function turning JSON values into `kind`, made once per type: reading a brief then calls
    constructors only, without resolving type hints or inspecting fields for each of its objects."""
    if is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        parts = [(f.name, _builder(hints[f.name])) for f in fields(kind)]

        def record(value: Any) -> Any:
            if value is None:
                return None
            return kind(**{name: build(value[name]) for name, build in parts if name in value})

        return record
    origin = typing.get_origin(kind)
    if origin is list:
        (item,) = typing.get_args(kind)
        build = _builder(item)
        if build is _same:
            return lambda value: None if value is None else list(value)
        return lambda value: None if value is None else [build(v) for v in value]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _builder(options[0]) if len(options) == 1 else _same
    return _same
