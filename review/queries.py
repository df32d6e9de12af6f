"""What the review pages read from the store, in SQL that stays fast at 10,000 incidents: the list is
one pass over `incident_stats` (sizes, dates and languages kept current by triggers), filters are
index lookups (full-text search, actors, languages), pages are LIMIT/OFFSET."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from incident_brief.briefs.corrections import STATUSES
from incident_brief.corpus.store import Store

PAGE_SIZE = 50
SORTS = {
    "activity": "activity DESC, i.id",
    "sources": "s.size DESC, activity DESC, i.id",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")


@dataclass
class ListQuery:
    """The incident list's filters, from the page's query string; anything malformed is dropped."""

    text: str = ""
    since: str = ""
    until: str = ""
    language: str = ""
    actor: str = ""
    status: str = ""
    sort: str = "activity"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> ListQuery:
        def date(name: str) -> str:
            value = (args.get(name) or "").strip()
            return value if _DATE.match(value) else ""

        try:
            page = max(1, min(int(args.get("page") or 1), 1_000_000))
        except ValueError:
            page = 1
        status = args.get("status") or ""
        sort = args.get("sort") or "activity"
        return cls(
            text=(args.get("q") or "").strip()[:200],
            since=date("since"),
            until=date("until"),
            language=(args.get("lang") or "").strip()[:20],
            actor=(args.get("actor") or "").strip()[:200],
            status=status if status in STATUSES else "",
            sort=sort if sort in SORTS else "activity",
            page=page,
        )

    def args(self, **changes) -> dict[str, str]:
        """The query string of this list (with `changes`), without empty values: for links."""
        values = {
            "q": self.text, "since": self.since, "until": self.until, "lang": self.language,
            "actor": self.actor, "status": self.status, "sort": self.sort, "page": self.page,
        }  # fmt: skip
        values.update(changes)
        return {
            k: str(v)
            for k, v in values.items()
            if v and not (k == "page" and v == 1) and (k, v) != ("sort", "activity")
        }


@dataclass
class IncidentRow:
    id: str
    title: str
    size: int
    languages: list[str]
    first_seen: str | None
    last_seen: str | None
    status: str
    activity: str


@dataclass
class ListPage:
    rows: list[IncidentRow]
    total: int
    query: ListQuery
    languages: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def match_expression(text: str) -> str:
    """User words as an FTS5 query: each word a quoted prefix, all required (no query syntax leaks)."""
    words = re.findall(r"\w[\w.@-]*", text)[:12]
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def list_incidents(store: Store, query: ListQuery) -> ListPage:
    where: list[str] = []
    params: list = []
    if query.text:
        # the id or title as typed (LIKE's wildcards escaped: "100%" means 100%), or the words
        like = "%" + re.sub(r"([\\%_])", r"\\\1", query.text) + "%"
        found = ["i.id = ?", "i.title LIKE ? ESCAPE '\\'"]
        params += [query.text, like]
        expression = match_expression(query.text)
        if expression:  # none in "--" or '"': then only the id and title are searched
            found.append(
                "i.id IN (SELECT m.incident_id FROM article_search f JOIN incident_members m "
                "ON m.article_id = f.rowid WHERE article_search MATCH ?)"
            )
            params.append(expression)
        where.append(" OR ".join(found))
    if query.language:
        where.append(
            "i.id IN (SELECT m.incident_id FROM articles a JOIN incident_members m ON m.article_id = a.id "
            "WHERE a.language = ?)"
        )
        params.append(query.language)
    if query.actor:
        where.append(
            "i.id IN (SELECT m.incident_id FROM article_actors x JOIN incident_members m "
            "ON m.article_id = x.article_id WHERE x.actor = ?)"
        )
        params.append(query.actor)
    if query.status == "new":
        where.append("r.status IS NULL OR r.status = 'new'")
    elif query.status:
        where.append("r.status = ?")
        params.append(query.status)
    if query.since:  # an incident reported within the range: its reports overlap it
        where.append("s.last_seen >= ?")
        params.append(query.since)
    if query.until:
        where.append("s.first_seen < ?")
        params.append(query.until + "~")  # the whole day: "~" sorts after any time of day
    sql = (
        "SELECT i.id, i.title, s.size, s.languages, s.first_seen, s.last_seen, "
        "coalesce(r.status, 'new') AS status, "
        "max(coalesce(r.activity_at, ''), coalesce(s.last_seen, '')) AS activity, "
        "count(*) OVER () AS total "  # the number of matches from the same pass
        "FROM incidents i JOIN incident_stats s ON s.incident_id = i.id "
        "LEFT JOIN review_state r ON r.incident_id = i.id"
        + (" WHERE " + " AND ".join(f"({w})" for w in where) if where else "")
    )
    rows = store.query(
        f"{sql} ORDER BY {SORTS[query.sort]} LIMIT ? OFFSET ?",
        (*params, PAGE_SIZE, (query.page - 1) * PAGE_SIZE),
    )
    if rows:
        total = rows[0]["total"]
    else:  # past the last page (or nothing matches): count on its own
        total = store.query(f"SELECT count(*) FROM ({sql})", tuple(params))[0][0] if query.page > 1 else 0
    titles = headlines(store, [row["id"] for row in rows])
    return ListPage(
        rows=[
            IncidentRow(
                id=row["id"],
                title=titles.get(row["id"]) or row["title"] or "",
                size=row["size"],
                languages=sorted(set((row["languages"] or "").split(",")) - {""}),
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                status=row["status"],
                activity=row["activity"],
            )
            for row in rows
        ],
        total=total,
        query=query,
        languages=[
            r[0] for r in store.query("SELECT DISTINCT language FROM articles WHERE language IS NOT NULL")
        ],
        actors=[
            r[0] for r in store.query("SELECT DISTINCT actor FROM article_actors ORDER BY actor LIMIT 500")
        ],
    )


def headlines(store: Store, incident_ids: list[str]) -> dict[str, str]:
    """The headline each incident shows: the analyst's, else its latest brief's."""
    if not incident_ids:
        return {}
    marks = ",".join("?" * len(incident_ids))
    found = {
        row[0]: row[1]
        for row in store.query(
            "SELECT incident_id, json_extract(brief, '$.headline') FROM review_briefs "
            f"WHERE incident_id IN ({marks})",
            tuple(incident_ids),
        )
    }
    for row in store.query(
        "SELECT incident_id, value FROM review_corrections WHERE kind = 'headline' AND undone_at IS NULL "
        f"AND incident_id IN ({marks}) ORDER BY id",
        tuple(incident_ids),
    ):
        found[row[0]] = json.loads(row[1])["text"]
    return found


@dataclass
class MemberArticle:
    id: int
    title: str
    url: str
    outlet: str
    language: str | None
    published: str | None
    duplicate_of: int | None
    source: str  # how it joined: model, duplicate, analyst


def incident_title(store: Store, incident_id: str) -> str | None:
    """The incident's stored title; None when there is no such incident."""
    rows = store.query("SELECT title FROM incidents WHERE id = ?", (incident_id,))
    return (rows[0][0] or "") if rows else None


def members(store: Store, incident_id: str) -> list[MemberArticle]:
    rows = store.query(
        "SELECT a.id, a.title, a.url, a.canonical_url, a.site_name, a.language, a.published, a.duplicate_of, "
        "m.source FROM incident_members m JOIN articles a ON a.id = m.article_id WHERE m.incident_id = ? "
        "ORDER BY a.published IS NULL, a.published, a.id",  # undated last
        (incident_id,),
    )
    return [
        MemberArticle(
            id=row["id"],
            title=row["title"] or "",
            url=_shown_url(row["url"], row["canonical_url"]),
            outlet=row["site_name"] or _host(_shown_url(row["url"], row["canonical_url"])),
            language=row["language"],
            published=row["published"],
            duplicate_of=row["duplicate_of"],
            source=row["source"],
        )
        for row in rows
    ]


def decisions_about(store: Store, incident_id: str, article_ids: list[int]) -> list[dict]:
    """The clustering decisions (nlp/incidents.py, undone ones too) naming the incident or setting one of
    its articles, oldest first: SQLite reads the JSON, so only those rows reach Python."""
    marks = ",".join("?" * len(article_ids)) or "NULL"
    rows = store.query(
        "SELECT * FROM incident_decisions d WHERE d.incident_id = ? OR d.other_id = ? OR EXISTS "
        f"(SELECT 1 FROM json_each(d.changes, '$.set') WHERE CAST(key AS INTEGER) IN ({marks})) "
        "ORDER BY d.id",
        (incident_id, incident_id, *article_ids),
    )
    return [{**dict(row), "changes": json.loads(row["changes"])} for row in rows]


def nearby(store: Store, incident_id: str, limit: int = 30) -> list[tuple[str, str]]:
    """Other incidents last reported closest in time to this one (id, title): the likely targets of a move
    or merge, offered as suggestions. Two index range scans, from its date forwards and backwards."""
    rows = store.query("SELECT last_seen FROM incident_stats WHERE incident_id = ?", (incident_id,))
    if not rows or rows[0][0] is None:
        return []
    seen = rows[0][0]
    around = [
        tuple(row)
        for direction, sign in (("ASC", ">="), ("DESC", "<"))
        for row in store.query(
            "SELECT s.incident_id, i.title, s.last_seen FROM incident_stats s JOIN incidents i "
            f"ON i.id = s.incident_id WHERE s.last_seen {sign} ? AND s.incident_id != ? "
            f"ORDER BY s.last_seen {direction} LIMIT ?",
            (seen, incident_id, limit),
        )
    ]
    around.sort(key=lambda row: (abs(_days(row[2]) - _days(seen)), row[0]))
    return [(row[0], row[1] or "") for row in around[:limit]]


def _days(stamp: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).timestamp() / 86400
    except ValueError:
        return 0.0


def incident_of(store: Store, article_id: int) -> str | None:
    rows = store.query("SELECT incident_id FROM incident_members WHERE article_id = ?", (article_id,))
    return rows[0][0] if rows else None


def _shown_url(url: str, canonical: str | None) -> str:
    return canonical if url.startswith("file:") and canonical else url


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url
