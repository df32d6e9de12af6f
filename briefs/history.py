"""Brief snapshots per incident in the store: what changed since the last brief, and the list of briefs."""

from __future__ import annotations

import json
from dataclasses import dataclass

from incident_brief.briefs.model import Brief, Changes
from incident_brief.corpus.store import Store


@dataclass
class BriefRow:
    """One line of `brief list`: the latest brief of an incident."""

    incident_id: str
    headline: str
    sources: int
    independent_sources: int
    languages: list[str]
    confidence: str
    generated_at: str
    last_reported: str | None  # publication date of the newest report

    @classmethod
    def of(cls, brief: dict) -> BriefRow:
        """From a brief's JSON form (the listing needs a few fields, not the whole record)."""
        sources = brief["sources"]
        return cls(
            brief["incident_id"],
            brief["headline"],
            len(sources),
            brief["confidence"]["independent_sources"],
            sorted({s["language"] for s in sources if s["language"]}),
            brief["confidence"]["level"],
            brief["generated_at"],
            max((s["published"] for s in sources if s["published"]), default=None),
        )


def latest(store: Store, incident_id: str) -> Brief | None:
    rows = store.query(
        "SELECT brief FROM brief_snapshots WHERE incident_id = ? ORDER BY id DESC LIMIT 1", (incident_id,)
    )
    return Brief.from_dict(json.loads(rows[0]["brief"])) if rows else None


def save(store: Store, brief: Brief) -> None:
    with store.transaction() as db:
        db.execute(
            "INSERT INTO brief_snapshots (incident_id, generated_at, brief) VALUES (?, ?, ?)",
            (brief.incident_id, brief.generated_at, json.dumps(brief.to_dict(), ensure_ascii=False)),
        )


def latest_rows(store: Store) -> list[BriefRow]:
    """The latest brief of every incident, the most recently reported incident first."""
    rows = store.query(
        "SELECT brief FROM brief_snapshots "
        "WHERE id IN (SELECT max(id) FROM brief_snapshots GROUP BY incident_id)"
    )
    briefs = [BriefRow.of(json.loads(row["brief"])) for row in rows]
    return sorted(briefs, key=lambda row: (row.last_reported or "", row.incident_id), reverse=True)


def changes_since(previous: Brief | None, brief: Brief) -> Changes | None:
    """New sources, quotes and requirements against the previous brief; None for a first brief."""
    if previous is None:
        return None
    known_sources = {s.url for s in previous.sources}
    known_quotes = {_key(r.text) for q in previous.quotes for r in q.reports}
    known_requirements = {_key(r.text) for r in previous.requirements}
    return Changes(
        previous_generated_at=previous.generated_at,
        new_sources=[s.article_id for s in brief.sources if s.url not in known_sources],
        new_quotes=[q.text for q in brief.quotes if not any(_key(r.text) in known_quotes for r in q.reports)],
        new_requirements=[r.text for r in brief.requirements if _key(r.text) not in known_requirements],
    )


def _key(text: str) -> str:
    return " ".join(text.lower().split())
