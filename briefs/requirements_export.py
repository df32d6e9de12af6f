"""The security requirements found in stored analyses, exported for other tools.

`iter_requirements` reads them from the store with their source articles; `write_requirements`
writes them as JSON Lines, CSV, a STIX 2.1 bundle or an OSCAL profile (schemas: docs/formats.md,
"Requirement exports").

Syndicated copies: a requirement repeated in an article's exact or near copy (`duplicate_of`) is one
requirement with several sources. Within a duplicate group the original's record is kept and each
copy that repeats it (same statement, modality, polarity, requester and addressee, counted by
occurrence, so a demand made twice stays two) is listed in `also_in`.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import urlsplit

import stix2

from incident_brief.briefs import oscal, stix
from incident_brief.corpus.store import Store
from incident_brief.errors import UsageError

SCHEMA_VERSION = 1
FORMATS = ("jsonl", "csv", "stix", "oscal")
MODALITIES = ("must", "should", "may")
POLARITIES = ("positive", "negative")

CSV_COLUMNS = (
    "schema_version", "key", "article_id", "external_id", "statement", "modality", "polarity",
    "requester", "addressee", "top_control", "top_control_title", "controls", "mitigations", "concepts",
    "confidence", "language", "evidence", "evidence_start", "evidence_end", "quote_id", "source_url",
    "title", "outlet", "published", "also_in",
)  # fmt: skip

# The namespace of the export's own OSCAL properties. OSCAL wants a URI; OSCAL clients built on
# pydantic's URL type (trestle 3, for OSCAL 1.1) accept only scheme://host forms, and the project has
# no domain: the reserved .invalid TLD (RFC 6761) marks this as a name, never a place to fetch.
OSCAL_PROPS_NAMESPACE = "https://incident-brief.invalid/ns/requirements"

# Cells a spreadsheet would read as a formula (OWASP, "CSV Injection"): = + - @ and tab or carriage
# return first. Such cells get a leading apostrophe, which spreadsheets show as text and do not run.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls other than tab and newline (NUL, bell, escape ...) have no place in a table or a
# STIX/OSCAL document; they are dropped there (the JSONL keeps the text as written).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&])")
# URLs a Markdown link target (`<...>` form) can hold as they are
_LINKABLE_URL = re.compile(r"^https?://[^\s<>]+$")
_BATCH_ARTICLES = 500

MalformedCallback = Callable[[int, str], None]


@dataclass(frozen=True)
class Party:
    """A requester or addressee. `kind` is "individual", "organization", "group" or "unknown", from
    the label the analysis gave the name (PER, ORG, THREAT_ACTOR) or an `org:` knowledge-base id."""

    text: str | None
    canonical: str
    kb_id: str | None
    kind: str

    def to_dict(self) -> dict:
        return {"text": self.text, "canonical": self.canonical, "kb_id": self.kb_id, "kind": self.kind}


@dataclass(frozen=True)
class ControlMatch:
    id: str  # "AU-6", "AU-6(3)"
    title: str | None
    score: float | None


@dataclass(frozen=True)
class MitigationMatch:
    id: str  # ATT&CK "M1047"
    name: str | None
    score: float | None


@dataclass(frozen=True)
class Quote:
    id: str
    text: str
    speaker: str | None  # canonical name


@dataclass(frozen=True)
class SourceArticle:
    id: int
    external_id: str | None
    url: str
    title: str | None
    outlet: str | None
    published: str | None
    language: str | None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "external_id": self.external_id,
            "url": self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "language": self.language,
        }


@dataclass
class RequirementRow:
    """One requirement as the analysis found it, with the article it comes from and the copies that
    repeat it."""

    id: str  # within its analysis: "r1"
    text: str  # the evidence as written
    start: int | None
    end: int | None
    statement: str  # canonical English statement
    requester: Party | None
    addressee: Party | None
    modality: str
    polarity: str
    concepts: list[str]
    controls: list[ControlMatch]
    mitigations: list[MitigationMatch]
    quote: Quote | None
    language: str | None
    confidence: float | None
    article: SourceArticle
    analyzed_at: datetime
    also_in: list[SourceArticle] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Unique in one database: "<article id>:<requirement id>"."""
        return f"{self.article.id}:{self.id}"

    @property
    def identity(self) -> str:
        """What the requirement is, independent of database ids (STIX and OSCAL ids derive from it)."""
        return json.dumps([self.article.url, self.start, self.end, self.statement])

    @property
    def modal_phrase(self) -> str:
        return f"{self.modality} not" if self.polarity == "negative" else self.modality

    def to_dict(self) -> dict:
        """The JSONL record: the analysis' requirement record plus the export's own fields."""
        return {
            "schema_version": SCHEMA_VERSION,
            "key": self.key,
            "id": self.id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "statement": self.statement,
            "requester": self.requester.to_dict() if self.requester else None,
            "addressee": self.addressee.to_dict() if self.addressee else None,
            "modality": self.modality,
            "polarity": self.polarity,
            "concepts": self.concepts,
            "controls": [{"id": c.id, "title": c.title, "score": c.score} for c in self.controls],
            "mitigations": [{"id": m.id, "name": m.name, "score": m.score} for m in self.mitigations],
            "quote_id": self.quote.id if self.quote else None,
            "quote": (
                {"id": self.quote.id, "text": self.quote.text, "speaker": self.quote.speaker}
                if self.quote
                else None
            ),
            "language": self.language,
            "confidence": self.confidence,
            "analyzed_at": _timestamp(self.analyzed_at),
            "article": self.article.to_dict(),
            "also_in": [a.to_dict() for a in self.also_in],
        }


# Reading


@dataclass(frozen=True)
class _AnalysedArticle:
    source: SourceArticle
    group: int  # the duplicate group's original
    analyzed_at: datetime


def iter_requirements(
    store: Store,
    article_ids: Collection[int] | None = None,
    *,
    on_malformed: MalformedCallback | None = None,
) -> Iterator[RequirementRow]:
    """Requirements of the analysed articles (all, or those in `article_ids`), originals first, each
    duplicate group's repeats merged (module docstring). Records that do not have the documented
    shape are skipped and reported to `on_malformed(article_id, reason)`."""
    articles = _analysed_articles(store, article_ids)
    groups = [list(g) for _, g in itertools.groupby(articles, key=lambda a: a.group)]
    for batch in _batches(groups, _BATCH_ARTICLES):
        # analyses are read a batch at a time: memory stays flat however large the store
        results = _load_results(store, [a.source.id for group in batch for a in group], on_malformed)
        for group in batch:
            yield from _merge_group(group, results, on_malformed)


def _batches(groups: list[list[_AnalysedArticle]], size: int) -> Iterator[list[list[_AnalysedArticle]]]:
    """Whole duplicate groups, about `size` articles at a time."""
    batch: list[list[_AnalysedArticle]] = []
    count = 0
    for group in groups:
        batch.append(group)
        count += len(group)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def count_analysed(store: Store) -> int:
    """How many articles have a stored analysis (an export of a store without any is empty)."""
    return store.query("SELECT count(*) FROM analyses")[0][0]


def _analysed_articles(store: Store, article_ids: Collection[int] | None) -> list[_AnalysedArticle]:
    rows = store.query(
        "SELECT a.id, a.external_id, a.url, a.title, a.site_name, a.published, a.language, "
        "a.duplicate_of, n.analyzed_at FROM articles a JOIN analyses n ON n.article_id = a.id "
        "ORDER BY coalesce(a.duplicate_of, a.id), a.duplicate_of IS NOT NULL, a.id"
    )
    wanted = None if article_ids is None else set(article_ids)
    return [
        _AnalysedArticle(
            SourceArticle(
                id=row["id"],
                external_id=row["external_id"],
                url=row["url"],
                title=row["title"],
                outlet=row["site_name"],
                published=row["published"],
                language=row["language"],
            ),
            group=row["duplicate_of"] if row["duplicate_of"] is not None else row["id"],
            analyzed_at=_parse_timestamp(row["analyzed_at"]),
        )
        for row in rows
        if wanted is None or row["id"] in wanted
    ]


def _load_results(
    store: Store, article_ids: list[int], on_malformed: MalformedCallback | None
) -> dict[int, dict]:
    results: dict[int, dict] = {}
    for start in range(0, len(article_ids), _BATCH_ARTICLES):
        chunk = article_ids[start : start + _BATCH_ARTICLES]
        marks = ",".join("?" * len(chunk))
        for row in store.query(
            f"SELECT article_id, result FROM analyses WHERE article_id IN ({marks})", tuple(chunk)
        ):
            try:
                result = json.loads(row["result"])
                if not isinstance(result, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                _report(on_malformed, row["article_id"], f"stored analysis is not valid: {exc}")
                continue
            results[row["article_id"]] = result
    return results


def _merge_group(
    members: list[_AnalysedArticle], results: dict[int, dict], on_malformed: MalformedCallback | None
) -> Iterator[RequirementRow]:
    merged: dict[tuple, RequirementRow] = {}
    for member in members:
        analysis = results.get(member.source.id)
        if analysis is None:
            continue
        records = analysis.get("requirements") or []
        if not isinstance(records, list):
            _report(on_malformed, member.source.id, "'requirements' is not a list")
            continue
        context = _AnalysisContext.of(analysis)
        occurrences: Counter = Counter()
        for record in records:
            try:
                row = _row(record, member, context)
            except (ValueError, TypeError, KeyError) as exc:
                label = record.get("id") if isinstance(record, dict) else None
                reason = f"no {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
                _report(on_malformed, member.source.id, f"requirement {label or '?'}: {reason}")
                continue
            sameness = (
                " ".join(row.statement.casefold().split()),
                row.modality,
                row.polarity,
                row.requester.canonical if row.requester else None,
                row.addressee.canonical if row.addressee else None,
            )
            occurrences[sameness] += 1
            key = (sameness, occurrences[sameness])
            if key in merged:
                merged[key].also_in.append(member.source)
            else:
                merged[key] = row
    yield from merged.values()


@dataclass(frozen=True)
class _AnalysisContext:
    """What a requirement record refers to elsewhere in its analysis: entity labels and quotes."""

    labels: dict[str, str]
    quotes: dict[str, dict]

    @classmethod
    def of(cls, analysis: dict) -> _AnalysisContext:
        labels: dict[str, str] = {}
        for entity in analysis.get("entities") or []:
            if isinstance(entity, dict) and isinstance(entity.get("label"), str):
                name = entity.get("canonical") or entity.get("text")
                if isinstance(name, str):
                    labels.setdefault(name, entity["label"])
        quotes = {
            q["id"]: q
            for q in analysis.get("quotes") or []
            if isinstance(q, dict) and isinstance(q.get("id"), str)
        }
        return cls(labels, quotes)

    def party(self, value) -> Party | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("requester/addressee is not an object")
        canonical = value.get("canonical") or value.get("text")
        if not isinstance(canonical, str) or not canonical.strip():
            raise ValueError("requester/addressee has no name")
        kb_id = value.get("kb_id") if isinstance(value.get("kb_id"), str) else None
        label = self.labels.get(canonical)
        if label == "PER":
            kind = "individual"
        elif label == "ORG" or (kb_id or "").startswith("org:"):
            kind = "organization"
        elif label == "THREAT_ACTOR":
            kind = "group"
        else:
            kind = "unknown"
        text = value.get("text") if isinstance(value.get("text"), str) else None
        return Party(text=text, canonical=canonical.strip(), kb_id=kb_id, kind=kind)

    def quote(self, quote_id) -> Quote | None:
        quote = self.quotes.get(quote_id) if isinstance(quote_id, str) else None
        if quote is None or not isinstance(quote.get("text"), str):
            return None
        speaker = quote.get("speaker")
        name = (speaker.get("canonical") or speaker.get("text")) if isinstance(speaker, dict) else None
        return Quote(id=quote_id, text=quote["text"], speaker=name if isinstance(name, str) else None)


def _row(record, member: _AnalysedArticle, context: _AnalysisContext) -> RequirementRow:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    statement = record["statement"]
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("no statement")
    if record["modality"] not in MODALITIES:
        raise ValueError(f"modality {record['modality']!r} is not one of {', '.join(MODALITIES)}")
    polarity = record.get("polarity") or "positive"
    if polarity not in POLARITIES:
        raise ValueError(f"polarity {polarity!r} is not one of {', '.join(POLARITIES)}")
    confidence = record.get("confidence")
    return RequirementRow(
        id=str(record["id"]),
        text=str(record.get("text") or ""),
        start=_optional_int(record.get("start")),
        end=_optional_int(record.get("end")),
        statement=statement.strip(),
        requester=context.party(record.get("requester")),
        addressee=context.party(record.get("addressee")),
        modality=record["modality"],
        polarity=polarity,
        concepts=[str(c) for c in record.get("concepts") or []],
        controls=[
            ControlMatch(str(c["id"]), c.get("title"), _optional_float(c.get("score")))
            for c in record.get("controls") or []
        ],
        mitigations=[
            MitigationMatch(str(m["id"]), m.get("name"), _optional_float(m.get("score")))
            for m in record.get("mitigations") or []
        ],
        quote=context.quote(record.get("quote_id")),
        language=record.get("language") or member.source.language,
        confidence=_optional_float(confidence),
        article=member.source,
        analyzed_at=member.analyzed_at,
    )


def _optional_int(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"offset {value!r} is not an integer")
    return value


def _optional_float(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"score {value!r} is not a number")
    return float(value)


def _report(on_malformed: MalformedCallback | None, article_id: int, reason: str) -> None:
    if on_malformed is not None:
        on_malformed(article_id, reason)


# Writing


def write_requirements(rows: Iterable[RequirementRow], export_format: str, stream: TextIO) -> int:
    """Write the rows in one of FORMATS; returns how many requirements were written."""
    writers = {"jsonl": write_jsonl, "csv": write_csv, "stix": write_stix, "oscal": write_oscal}
    if export_format not in writers:
        raise UsageError(f"unknown export format {export_format!r} (formats: {', '.join(FORMATS)})")
    return writers[export_format](rows, stream)


def write_jsonl(rows: Iterable[RequirementRow], stream: TextIO) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[RequirementRow], stream: TextIO) -> int:
    """One row per requirement under a header of CSV_COLUMNS (RFC 4180: comma, CRLF, quotes as needed)."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in csv_values(row)])
        count += 1
    return count


def csv_values(row: RequirementRow) -> list:
    """The row's values in CSV_COLUMNS order, before the spreadsheet guard."""
    top = row.controls[0] if row.controls else None
    return [
        SCHEMA_VERSION,
        row.key,
        row.article.id,
        row.article.external_id,
        row.statement,
        row.modality,
        row.polarity,
        row.requester.canonical if row.requester else None,
        row.addressee.canonical if row.addressee else None,
        top.id if top else None,
        top.title if top else None,
        ";".join(c.id for c in row.controls),
        ";".join(m.id for m in row.mitigations),
        ";".join(row.concepts),
        row.confidence,
        row.language,
        row.text,
        row.start,
        row.end,
        row.quote.id if row.quote else None,
        row.article.url,
        row.article.title,
        row.article.outlet,
        row.article.published,
        " ".join(a.url for a in row.also_in),
    ]


def spreadsheet_safe(value) -> str:
    """A CSV cell that spreadsheet apps show as text: no control characters, no formula."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = clean_text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def clean_text(text: str) -> str:
    """Line breaks as newlines, C0 control characters other than tab and newline removed."""
    return _CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def write_stix(rows: Iterable[RequirementRow], stream: TextIO) -> int:
    """The bundle of `requirements_bundle`, written object by object: what stays in memory is the
    JSON text, not the stix2 objects (ten times its size)."""
    rows = list(rows)
    ids, texts = [], []
    for item in requirement_objects(rows):
        ids.append(item.id)
        # not pretty=True: stix2 then searches the whole object for every key's position (88 s for a
        # bundle of 1,000 objects); the objects keep their properties in spec order without it
        texts.append(textwrap.indent(item.serialize(indent=2, ensure_ascii=False), " " * 4))
    header = f'{{\n  "type": "bundle",\n  "id": "{stix.bundle_id(ids)}"'
    if texts:
        stream.write(header + ',\n  "objects": [\n')
        for number, text in enumerate(texts):
            stream.write(text if number == 0 else ",\n" + text)
        stream.write("\n  ]\n}\n")
    else:
        stream.write(header + "\n}\n")
    return len(rows)


def requirements_bundle(rows: Iterable[RequirementRow]) -> stix2.Bundle:
    """A STIX 2.1 bundle of `requirement_objects`."""
    return stix.bundle(requirement_objects(list(rows)))


def requirement_objects(rows: list[RequirementRow]) -> Iterator:
    """The requesters and addressees as identities (once each, first), then per requirement a
    course-of-action (controls and mitigations as external references), a note with the evidence,
    and `related-to` relationships from its requester and addressee."""
    identities = {name: stix.identity(name, kind) for name, kind in _identity_kinds(rows).items()}
    yield from identities.values()
    for row in rows:
        action = stix.course_of_action(
            row.identity,
            name=_one_line(row.statement),
            description=_action_description(row),
            created=row.analyzed_at,
            external_references=[
                *(stix.nist_control_reference(c.id, c.title) for c in row.controls),
                *(stix.attack_mitigation_reference(m.id, m.name) for m in row.mitigations),
                *(_article_reference(a) for a in (row.article, *row.also_in)),
            ],
            labels=row.concepts,
            confidence=round(row.confidence * 100) if row.confidence is not None else None,
        )
        yield action
        yield stix.note(
            row.identity,
            content=_evidence_note(row),
            abstract=f"Evidence: {_one_line(row.statement)}",
            object_refs=[action.id],
            created=row.analyzed_at,
            lang=row.language,
            external_references=[_article_reference(a) for a in (row.article, *row.also_in)],
        )
        for party, description in (
            (row.requester, "{} requests this course of action (requester)"),
            (row.addressee, "{} is asked to take this course of action (addressee)"),
        ):
            if party is not None:
                name = clean_text(party.canonical)
                yield stix.relationship(
                    identities[name].id,
                    "related-to",
                    action.id,
                    created=row.analyzed_at,
                    description=description.format(name),
                )


def _identity_kinds(rows: list[RequirementRow]) -> dict[str, str]:
    """Each name's identity class: the first known kind any row gives it, else "unknown"."""
    kinds: dict[str, str] = {}
    for row in rows:
        for party in (row.requester, row.addressee):
            if party is not None:
                name = clean_text(party.canonical)
                if kinds.get(name, "unknown") == "unknown":
                    kinds[name] = party.kind
    return kinds


def _action_description(row: RequirementRow) -> str:
    lines = [f"Requirement ({row.modal_phrase}) found in news coverage{_attribution(row)}."]
    if row.controls:
        lines.append(
            "NIST SP 800-53 rev5 controls, best first: "
            + ", ".join(f"{c.id}{_score(c.score)}" for c in row.controls)
            + "."
        )
    lines.append(f"Evidence ({row.language or 'language unknown'}): {_quoted(row.text)}")
    lines += [f"Source: {_citation(a)}" for a in (row.article, *row.also_in)]
    return clean_text("\n".join(lines))


def _evidence_note(row: RequirementRow) -> str:
    if row.quote is not None:
        said = f"{_quoted(row.quote.text)} ({row.quote.speaker or 'speaker not named'})"
    else:
        said = _quoted(row.text)
    return clean_text(f"{said}\nSource: {_citation(row.article)}")


def _article_reference(article: SourceArticle) -> dict:
    reference = {"source_name": article.outlet or urlsplit(article.url).hostname or "news article"}
    reference["url"] = article.url
    if article.external_id:
        reference["external_id"] = article.external_id
    reference["description"] = clean_text(_citation(article))
    return reference


def write_oscal(rows: Iterable[RequirementRow], stream: TextIO) -> int:
    rows = list(rows)
    json.dump(requirements_profile(rows), stream, ensure_ascii=False, indent=2)
    stream.write("\n")
    return len(rows)


def requirements_profile(
    rows: Iterable[RequirementRow],
    *,
    catalog_href: str = oscal.NIST_800_53_REV5_CATALOG,
    last_modified: datetime | None = None,
) -> dict:
    """An OSCAL profile importing the SP 800-53 rev5 catalog: it includes every control a requirement
    maps to, adds each requirement to its controls as a guidance part, and keeps the requirements as
    back-matter resources the parts link to. `last_modified` defaults to the latest analysis time
    (the export time for an empty selection)."""
    rows = list(rows)
    resources: list[oscal.Resource] = []
    guidance: list[oscal.Guidance] = []
    for row in rows:
        resource = oscal.Resource(
            key=row.identity,
            title=clean_text(row.statement),
            description=_resource_description(row),
            links=[a.url for a in (row.article, *row.also_in) if a.url.startswith(("http://", "https://"))],
            props={
                "requirement-key": row.key,
                "modality": row.modality,
                "polarity": row.polarity,
                "requester": clean_text(row.requester.canonical) if row.requester else "",
                "addressee": clean_text(row.addressee.canonical) if row.addressee else "",
                "language": row.language or "",
                "confidence": f"{row.confidence:.2f}" if row.confidence is not None else "",
            },
        )
        resources.append(resource)
        for control in row.controls:
            control_id = oscal.oscal_control_id(control.id)
            if control_id is None:
                continue
            guidance.append(
                oscal.Guidance(
                    control_id,
                    prose=_guidance_prose(row, control),
                    resource_uuids=[resource.uuid],
                )
            )
    if last_modified is None:
        last_modified = max((r.analyzed_at for r in rows), default=datetime.now(UTC))
    return oscal.profile(
        title="Security requirements found in news coverage (incident-brief)",
        last_modified=last_modified,
        version=f"requirements-export-{SCHEMA_VERSION}",
        control_ids=[g.control_id for g in guidance],
        guidance=guidance,
        resources=resources,
        catalog_href=catalog_href,
        props_namespace=OSCAL_PROPS_NAMESPACE,
        remarks=None if rows else "No requirements were selected; the profile selects no controls.",
    )


def _resource_description(row: RequirementRow) -> str:
    """Markdown (OSCAL markup-multiline); scraped text is escaped so it shows as written."""
    lines = [f"Requirement ({row.modal_phrase}) found in news coverage{_markdown(_attribution(row))}.", ""]
    if row.controls:
        lines += ["Controls, best first: " + ", ".join(f"{c.id}{_score(c.score)}" for c in row.controls), ""]
    lines += [
        f"Evidence ({row.language or 'language unknown'}): {_markdown(_quoted(row.text))}",
        "",
        "Sources:",
        "",
    ]
    lines += [f"- {_markdown_citation(a)}" for a in (row.article, *row.also_in)]
    return "\n".join(lines)


def _guidance_prose(row: RequirementRow, control: ControlMatch) -> str:
    statement = _markdown(_one_line(row.statement)) + _markdown(_attribution(row))
    return f"Requirement from news coverage{_score(control.score, 'match')}: {statement}."


# Shared wording


def _attribution(row: RequirementRow) -> str:
    """ ", requested by CJ Moses of Microsoft" (or the half the text names, or nothing)."""
    requester, addressee = row.requester, row.addressee
    if requester and addressee:
        return f", requested by {requester.canonical} of {addressee.canonical}"
    if requester:
        return f", requested by {requester.canonical}"
    if addressee:
        return f", addressed to {addressee.canonical}"
    return ""


def _score(score: float | None, word: str = "") -> str:
    if score is None:
        return ""
    return f" ({word} {score:.2f})" if word else f" ({score:.2f})"


def _quoted(text: str) -> str:
    return f"“{_one_line(text)}”"


def _citation(article: SourceArticle) -> str:
    return ", ".join(_citation_parts(article)) + f" <{article.url}>"


def _markdown_citation(article: SourceArticle) -> str:
    """A Markdown link to the article where its URL can be one, else the URL as text."""
    title, *rest = (_markdown(p) for p in _citation_parts(article))
    if _LINKABLE_URL.match(article.url):
        return ", ".join([f"[{title}](<{article.url}>)", *rest])
    return ", ".join([title, *rest, _markdown(article.url)])


def _citation_parts(article: SourceArticle) -> list[str]:
    parts = [_one_line(article.title) if article.title else "(untitled)"]
    return parts + [_one_line(p) for p in (article.outlet, (article.published or "")[:10]) if p]


def _one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def _markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", clean_text(text))


def _parse_timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
