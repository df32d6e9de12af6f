"""Analysts' corrections of brief content, and the review status of incidents (issue 8, `brief serve`).

A correction is stored with who made it and when, and is undone by marking it so (it stays in the
activity log). Content is keyed by what does not change when a brief is built again: the headline by
incident id, a summary sentence, a quote or a requirement by its evidence (article id and character
offsets in the stored text). Analysis ids ("q1", "r1") are not used: they count the finds in an article
and shift when a re-analysis finds one more. A correction whose evidence is no longer in the brief (the
article left the incident, a re-analysis moved the offsets) simply no longer applies.

`apply_corrections` is the one call `write_briefs` makes: every brief written and snapshotted carries
the corrections, and the machine's own brief is kept so the review app can show an undo at once.
Which articles form an incident is clustering's business: the app records those corrections as
decisions in nlp/incidents.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import cache

from incident_brief.briefs.model import Brief, Control, Evidence, Person, Review
from incident_brief.corpus.store import Store, now_iso
from incident_brief.errors import UsageError
from incident_brief.models.catalogs import load_controls

STATUSES = ("new", "in review", "approved", "rejected")
KINDS = {
    "headline": "edited the headline",
    "sentence": "edited a summary sentence",
    "speaker": "corrected a quote's speaker",
    "reject": "rejected a requirement",
    "requirement": "edited a requirement",
    "status": "set the status",
}
MAX_TEXT = 2000  # characters of an analyst's text: a headline or sentence, never a document

EvidenceKey = tuple[int, int, int]  # article id, start, end


@dataclass
class Correction:
    id: int
    kind: str
    incident_id: str
    article_id: int | None
    target: list[list[int]] | None  # evidence [[article, start, end], ...]
    value: dict
    previous: dict
    actor: str
    created_at: str
    undone_at: str | None
    undone_by: str | None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def keys(self) -> set[EvidenceKey]:
        return {(a, s, e) for a, s, e in self.target or []}

    @property
    def description(self) -> str:
        return KINDS.get(self.kind, self.kind)


def evidence_keys(evidence: Iterable[Evidence]) -> list[list[int]]:
    return sorted({(e.article_id, e.start, e.end) for e in evidence})  # type: ignore[return-value]


# Recording


def _text(value: str, what: str, *, empty_ok: bool = False) -> str:
    text = " ".join((value or "").split())
    if not text and not empty_ok:
        raise UsageError(f"{what}: empty")
    if len(text) > MAX_TEXT:
        raise UsageError(f"{what}: longer than {MAX_TEXT} characters")
    return text


def _record(
    store: Store,
    kind: str,
    incident_id: str,
    target: list[list[int]] | None,
    value: dict,
    previous: dict,
    actor: str,
) -> Correction:
    if not actor.strip():
        raise UsageError("a correction needs the name of who made it")
    if target is not None and not target:
        raise UsageError(f"{KINDS[kind]}: no evidence to key it by")
    stamp = now_iso()
    with store.transaction() as db:
        correction_id = db.execute(
            "INSERT INTO review_corrections (kind, incident_id, article_id, target, value, previous, actor, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                incident_id,
                target[0][0] if target else None,
                json.dumps(target),
                json.dumps(value, ensure_ascii=False),
                json.dumps(previous, ensure_ascii=False),
                actor,
                stamp,
            ),
        ).lastrowid
        _touch(db, incident_id, stamp, status=value["status"] if kind == "status" else None)
    return get_correction(store, correction_id)


def _touch(db, incident_id: str, stamp: str, *, status: str | None = None) -> None:
    db.execute(
        "INSERT INTO review_state (incident_id, status, activity_at) VALUES (?, ?, ?) "
        "ON CONFLICT(incident_id) DO UPDATE SET activity_at = excluded.activity_at"
        + (", status = excluded.status" if status else ""),
        (incident_id, status or "new", stamp),
    )


def touch(store: Store, incident_id: str) -> None:
    """Note analyst activity on an incident (a clustering decision made in the review app)."""
    with store.transaction() as db:
        _touch(db, incident_id, now_iso())


def edit_headline(store: Store, incident_id: str, headline: str, previous: str, *, actor: str) -> Correction:
    text = _text(headline, "headline")
    return _record(store, "headline", incident_id, None, {"text": text}, {"text": previous}, actor)


def edit_sentence(
    store: Store, incident_id: str, evidence: list[list[int]], text: str, previous: str, *, actor: str
) -> Correction:
    """Reword a summary sentence; an empty text removes it from the summary."""
    new = _text(text, "summary sentence", empty_ok=True)
    return _record(store, "sentence", incident_id, evidence, {"text": new}, {"text": previous}, actor)


def set_speaker(
    store: Store,
    incident_id: str,
    evidence: list[list[int]],
    name: str,
    *,
    role: str = "",
    employer: str = "",
    previous: Person | None,
    quote: str = "",
    actor: str,
) -> Correction:
    """Mark a quote's speaker wrong: `name` is the right one, or empty for "not known". `quote`: its
    words, kept with the previous speaker so the activity log can say which quote it was."""
    value = {
        "name": _text(name, "speaker", empty_ok=True) or None,
        "role": _text(role, "role", empty_ok=True) or None,
        "employer": _text(employer, "employer", empty_ok=True) or None,
    }
    before = (asdict(previous) if previous else {"name": None}) | ({"quote": quote} if quote else {})
    return _record(store, "speaker", incident_id, evidence, value, before, actor)


def reject_requirement(
    store: Store, incident_id: str, evidence: list[list[int]], statement: str, *, reason: str = "", actor: str
) -> Correction:
    """A requirement that is not one: left out of briefs and requirement exports."""
    value = {"reason": _text(reason, "reason", empty_ok=True)}
    return _record(store, "reject", incident_id, evidence, value, {"statement": statement}, actor)


def edit_requirement(
    store: Store,
    incident_id: str,
    evidence: list[list[int]],
    statement: str,
    control_ids: Iterable[str],
    *,
    previous: dict,
    actor: str,
) -> Correction:
    """Set a requirement's statement and its NIST SP 800-53 controls (ids of the shipped catalog)."""
    text = _text(statement, "requirement")
    catalog = control_catalog()
    ids = list(dict.fromkeys(c.strip().upper() for c in control_ids if c.strip()))
    unknown = [c for c in ids if c not in catalog]
    if unknown:
        raise UsageError(f"no control {unknown[0]!r} in NIST SP 800-53 rev. 5 (e.g. AC-2, IA-2(1))")
    value = {"statement": text, "controls": ids}
    return _record(store, "requirement", incident_id, evidence, value, previous, actor)


def set_status(store: Store, incident_id: str, status: str, *, actor: str) -> Correction:
    if status not in STATUSES:
        raise UsageError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    return _record(
        store,
        "status",
        incident_id,
        None,
        {"status": status},
        {"status": status_of(store, incident_id)},
        actor,
    )


def undo_correction(store: Store, correction_id: int, *, actor: str) -> Correction:
    correction = get_correction(store, correction_id)
    if correction is None:
        raise UsageError(f"no correction {correction_id}")
    if correction.undone_at:
        raise UsageError(f"correction {correction_id} was already undone at {correction.undone_at}")
    stamp = now_iso()
    with store.transaction() as db:
        db.execute(
            "UPDATE review_corrections SET undone_at = ?, undone_by = ? WHERE id = ?",
            (stamp, actor, correction_id),
        )
        status = None
        if correction.kind == "status":  # back to the latest status still standing
            row = db.execute(
                "SELECT value FROM review_corrections WHERE incident_id = ? AND kind = 'status' "
                "AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                (correction.incident_id,),
            ).fetchone()
            status = json.loads(row[0])["status"] if row else "new"
        _touch(db, correction.incident_id, stamp, status=status)
    return get_correction(store, correction_id)


# Reading


def _correction(row) -> Correction:
    return Correction(
        id=row["id"],
        kind=row["kind"],
        incident_id=row["incident_id"],
        article_id=row["article_id"],
        target=json.loads(row["target"]),
        value=json.loads(row["value"]),
        previous=json.loads(row["previous"]),
        actor=row["actor"],
        created_at=row["created_at"],
        undone_at=row["undone_at"],
        undone_by=row["undone_by"],
    )


def get_correction(store: Store, correction_id: int) -> Correction | None:
    rows = store.query("SELECT * FROM review_corrections WHERE id = ?", (correction_id,))
    return _correction(rows[0]) if rows else None


def corrections_for(
    store: Store, incident_id: str, article_ids: Iterable[int] = (), *, include_undone: bool = False
) -> list[Correction]:
    """The corrections that bear on an incident: made on it, or keyed by evidence in its articles (a
    quote corrected before a merge still holds after it), oldest first."""
    ids = sorted(set(article_ids))
    where = "incident_id = ?"
    params: list = [incident_id]
    if ids:
        where += f" OR article_id IN ({','.join('?' * len(ids))})"
        params += ids
    if not include_undone:
        where = f"({where}) AND undone_at IS NULL"
    rows = store.query(f"SELECT * FROM review_corrections WHERE {where} ORDER BY id", tuple(params))
    return [_correction(row) for row in rows]


def status_of(store: Store, incident_id: str) -> str:
    rows = store.query("SELECT status FROM review_state WHERE incident_id = ?", (incident_id,))
    return rows[0][0] if rows else "new"


def machine_brief(store: Store, incident_id: str) -> Brief | None:
    """The latest brief of an incident as the machine wrote it (before corrections)."""
    rows = store.query("SELECT brief FROM review_briefs WHERE incident_id = ?", (incident_id,))
    if not rows:  # briefs written before the review app kept them: the latest snapshot
        rows = store.query(
            "SELECT brief FROM brief_snapshots WHERE incident_id = ? ORDER BY id DESC LIMIT 1", (incident_id,)
        )
    return Brief.from_dict(json.loads(rows[0][0])) if rows else None


@cache
def control_catalog() -> dict[str, str]:
    """Control id -> title, from the shipped NIST SP 800-53 rev. 5 catalog."""
    return {c.id: c.title for c in load_controls()}


# Applying


def apply_corrections(store: Store, brief: Brief) -> Brief:
    """Keep the machine's brief, and return a copy with the incident's corrections applied."""
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO review_briefs (incident_id, generated_at, brief) VALUES (?, ?, ?)",
            (brief.incident_id, brief.generated_at, json.dumps(brief.to_dict(), ensure_ascii=False)),
        )
    found = corrections_for(store, brief.incident_id, (s.article_id for s in brief.sources))
    return corrected(brief, found)


def corrected(brief: Brief, found: list[Correction], *, in_place: bool = False) -> Brief:
    """`brief` with the corrections applied, later ones winning; the brief itself is left as it was
    unless `in_place` (a brief just read from the store, which nobody else holds: copying a
    hundred-source brief costs more than reading it)."""
    if not in_place:
        brief = copy.deepcopy(brief)
    brief.review = Review("new", None, None)
    for correction in found:
        if correction.undone_at:
            continue
        if correction.kind == "headline" and correction.incident_id == brief.incident_id:
            brief.headline = correction.value["text"]
        elif correction.kind == "status" and correction.incident_id == brief.incident_id:
            brief.review = Review(correction.value["status"], correction.actor, correction.created_at)
        elif correction.kind == "sentence":
            for sentence in brief.summary:
                if correction.keys == set(map(tuple, evidence_keys(sentence.evidence))):
                    if correction.value["text"] and correction.value["text"] != sentence.text:
                        brief.method = _reworded(brief.method)
                    sentence.text = correction.value["text"]
            brief.summary = [s for s in brief.summary if s.text]
        elif correction.kind == "speaker":
            for group in brief.quotes:
                if correction.keys & {_key(r.evidence) for r in group.reports}:
                    value = correction.value
                    group.speaker = (
                        Person(value["name"], value["role"], value["employer"]) if value["name"] else None
                    )
        elif correction.kind == "reject":
            brief.requirements = [
                r for r in brief.requirements if not correction.keys & {_key(e) for e in r.evidence}
            ]
        elif correction.kind == "requirement":
            catalog = control_catalog()
            for requirement in brief.requirements:
                if correction.keys & {_key(e) for e in requirement.evidence}:
                    requirement.statement = correction.value["statement"]
                    scores = {c.id: c.score for c in requirement.controls}
                    requirement.controls = [
                        Control(c, catalog.get(c, ""), scores.get(c, 1.0))
                        for c in correction.value["controls"]
                    ]
    return brief


def _reworded(method: str) -> str:
    """The summary is no longer the sources' own words: say so as the schema says rewrites ("abstractive:
    <by whom>"), so no reader (nor briefs/invariants.py) takes an analyst's sentence for a quotation."""
    if method == "extractive":
        return "abstractive:analyst"
    return method if method.endswith(("abstractive:analyst", "+analyst")) else f"{method}+analyst"


def _key(evidence: Evidence) -> EvidenceKey:
    return (evidence.article_id, evidence.start, evidence.end)


def corrected_requirement_rows(rows: Iterable, found: list[Correction]) -> Iterator:
    """Requirement export rows (briefs/requirements_export.py) with rejections and edits applied: a row
    is the requirement in one article, keyed by its article and offsets."""
    from incident_brief.briefs.requirements_export import ControlMatch

    rejected: set[EvidenceKey] = set()
    edits: dict[EvidenceKey, Correction] = {}
    for correction in found:
        if correction.undone_at:
            continue
        if correction.kind == "reject":
            rejected |= correction.keys
        elif correction.kind == "requirement":
            edits.update(dict.fromkeys(correction.keys, correction))
    catalog = control_catalog()
    for row in rows:
        key = (row.article.id, row.start, row.end)
        if key in rejected:
            continue
        edit = edits.get(key)
        if edit is not None:
            scores = {c.id: c.score for c in row.controls}
            row.statement = edit.value["statement"]
            row.controls = [
                ControlMatch(c, catalog.get(c), scores.get(c, 1.0)) for c in edit.value["controls"]
            ]
        yield row
