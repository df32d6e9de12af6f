"""The article store: SQLite in WAL mode with a versioned schema.

Every write happens in a short transaction, so an interrupted run loses at most the article in flight
and the next run resumes. Later stages (analysis, clustering, briefs) add tables through migrations.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from incident_brief.corpus.records import Article
from incident_brief.errors import StoreError

# Each entry upgrades the schema by one version; never edit a released entry, append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        url_key TEXT NOT NULL UNIQUE,          -- normalised URL: the article's identity
        external_id TEXT,                      -- the id given at JSONL import
        canonical_url TEXT,
        title TEXT,
        authors TEXT NOT NULL DEFAULT '[]',    -- JSON list
        published TEXT,
        modified TEXT,
        language TEXT,
        language_confidence REAL,
        site_name TEXT,
        description TEXT,
        tags TEXT NOT NULL DEFAULT '[]',       -- JSON list
        text TEXT NOT NULL,
        extractor TEXT,
        source TEXT,
        content_hash TEXT NOT NULL,
        duplicate_of INTEGER REFERENCES articles(id),
        duplicate_kind TEXT,                   -- 'exact' or 'near'
        fetched_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX articles_content_hash ON articles(content_hash);
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_duplicate_of ON articles(duplicate_of);
    CREATE INDEX articles_external_id ON articles(external_id);

    -- The page as fetched, zlib-compressed, so extraction can be re-run without refetching.
    CREATE TABLE raw_pages (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        final_url TEXT,
        content_type TEXT,
        html BLOB NOT NULL
    );

    -- MinHash signatures and their LSH bands for near-duplicate lookups.
    CREATE TABLE minhashes (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        signature BLOB NOT NULL
    );
    CREATE TABLE minhash_bands (
        band INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (band, bucket, article_id)
    ) WITHOUT ROWID;

    -- Validators for conditional GET and, for feeds and sitemaps, the last body.
    CREATE TABLE http_cache (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        body BLOB,
        fetched_at TEXT NOT NULL
    );

    CREATE TABLE collect_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        summary TEXT
    );
    """,
    """
    -- One analysis per article (entities, actors; later quotes, dates, requirements), as JSON.
    CREATE TABLE analyses (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        pipeline TEXT NOT NULL,                -- pipeline version: a change means re-analysis
        content_hash TEXT NOT NULL,            -- of the text analysed: an update means re-analysis
        analyzed_at TEXT NOT NULL,
        result TEXT NOT NULL
    );
    """,
    """
    -- Incidents (issue 6). What clustering needs of an article, computed once: embeddings of title,
    -- lead and body, terms, and the entity keys and dates of its analysis (redone when that is newer).
    CREATE TABLE article_features (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        embedder TEXT NOT NULL,                -- embeddings from different models are never mixed
        dimension INTEGER NOT NULL,
        content_hash TEXT NOT NULL,            -- of the text embedded: an update means re-embedding
        analyzed_at TEXT,                      -- the analysis entities and dates came from; NULL: none
        vectors BLOB NOT NULL,                 -- float32, 3 x dimension: title, lead, body
        terms TEXT NOT NULL,                   -- JSON {term: count}
        entities TEXT NOT NULL,                -- JSON list of language-independent entity keys
        dates TEXT NOT NULL,                   -- JSON list of ISO dates: published and mentioned
        version TEXT NOT NULL                  -- FEATURES_VERSION (nlp/clustering.py): a change means
                                               -- describing again (the vectors are kept)
    );
    CREATE INDEX article_features_embedder ON article_features(embedder);
    -- Document frequencies of terms, for TF-IDF weights.
    CREATE TABLE term_df (
        term TEXT PRIMARY KEY,
        df INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE incidents (
        id TEXT PRIMARY KEY,                   -- inc-xxxxxx, stable across runs
        title TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE incident_members (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        source TEXT NOT NULL,                  -- 'model', 'duplicate' or 'analyst'
        assigned_at TEXT NOT NULL
    );
    CREATE INDEX incident_members_incident ON incident_members(incident_id);
    -- Analyst decisions: constraints every later run respects; undone ones are kept for the record.
    CREATE TABLE incident_decisions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                    -- merge, split, move, pin
        incident_id TEXT NOT NULL,             -- the incident the decision is about
        other_id TEXT,                         -- merge: the incident merged in; split, move: the old one
        changes TEXT NOT NULL,                 -- JSON {"set": {article: incident}, "before": {...}}
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        undone_at TEXT,
        undone_by TEXT
    );
    """,
    """
    -- Briefs (issue 7): every brief generated for an incident, so the next one can say what changed.
    CREATE TABLE brief_snapshots (
        id INTEGER PRIMARY KEY,
        incident_id TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        brief TEXT NOT NULL                    -- the brief's JSON (docs/brief.schema.json)
    );
    CREATE INDEX brief_snapshots_incident ON brief_snapshots(incident_id, id);

    -- Each article's sentences and their embeddings for summaries, computed once per text and embedder.
    CREATE TABLE brief_sentences (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        embedder TEXT NOT NULL,
        spans TEXT NOT NULL,                   -- JSON [[start, end], ...]: offsets into the text
        vectors BLOB NOT NULL                  -- float16, one L2-normalised row per sentence
    );
    """,
    """
    -- Review (issue 8, `brief serve`): analysts' corrections of brief content and status changes, with
    -- who and when; undone ones are kept for the record (briefs/corrections.py).
    CREATE TABLE review_corrections (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                    -- headline, sentence, speaker, reject, requirement, status
        incident_id TEXT NOT NULL,             -- where it was made (content keys are article evidence)
        article_id INTEGER,                    -- the first evidence article of a sentence, quote, requirement
        target TEXT NOT NULL,                  -- JSON: evidence [[article, start, end], ...] or null
        value TEXT NOT NULL,                   -- JSON: what the analyst set
        previous TEXT NOT NULL,                -- JSON: what was there before, for the activity log
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        undone_at TEXT,
        undone_by TEXT
    );
    CREATE INDEX review_corrections_incident ON review_corrections(incident_id, id);
    CREATE INDEX review_corrections_article ON review_corrections(article_id);
    -- Each reviewed incident's status and last analyst activity (no row: status new).
    CREATE TABLE review_state (
        incident_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,                  -- new, in review, approved, rejected
        activity_at TEXT NOT NULL
    );
    -- The latest brief of each incident as the machine wrote it, before corrections: an undo shows
    -- the machine's words again at once, without rebuilding the brief.
    CREATE TABLE review_briefs (
        incident_id TEXT PRIMARY KEY,
        generated_at TEXT NOT NULL,
        brief TEXT NOT NULL
    );
    -- Full-text search over article titles and texts, kept current by triggers. (A statement inside a
    -- trigger never ends a line: the migration runner splits statements at line-final semicolons.)
    CREATE VIRTUAL TABLE article_search USING fts5(title, text, content='articles', content_rowid='id');
    CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO article_search (rowid, title, text) VALUES (new.id, new.title, new.text); END;
    CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
        INSERT INTO article_search (article_search, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text); END;
    CREATE TRIGGER article_search_update AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO article_search (article_search, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text)
        ; INSERT INTO article_search (rowid, title, text) VALUES (new.id, new.title, new.text); END;
    INSERT INTO article_search (article_search) VALUES ('rebuild');
    -- The threat actors each analysis names, for filtering incidents by actor.
    CREATE TABLE article_actors (
        actor TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (actor, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX article_actors_article ON article_actors(article_id);
    CREATE TRIGGER article_actors_analysis AFTER INSERT ON analyses BEGIN
        DELETE FROM article_actors WHERE article_id = new.article_id
        ; INSERT OR IGNORE INTO article_actors (actor, article_id)
        SELECT json_extract(value, '$.canonical'), new.article_id FROM json_each(new.result, '$.actors')
        WHERE json_extract(value, '$.canonical') IS NOT NULL; END;
    INSERT OR IGNORE INTO article_actors (actor, article_id)
    SELECT json_extract(j.value, '$.canonical'), n.article_id
    FROM analyses n, json_each(n.result, '$.actors') j WHERE json_extract(j.value, '$.canonical') IS NOT NULL;
    CREATE INDEX articles_language ON articles(language);
    -- Each incident's size, report dates and languages, kept current by triggers as clustering writes
    -- memberships, so the incident list is one indexed pass over incidents, not over every article.
    CREATE TABLE incident_stats (
        incident_id TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        first_seen TEXT,
        last_seen TEXT,
        languages TEXT                         -- comma-separated
    );
    CREATE INDEX incident_stats_last_seen ON incident_stats(last_seen);
    CREATE TRIGGER incident_stats_insert AFTER INSERT ON incident_members BEGIN
        INSERT OR REPLACE INTO incident_stats
        SELECT new.incident_id, count(*), min(a.published), max(a.published),
        group_concat(DISTINCT a.language)
        FROM incident_members m JOIN articles a ON a.id = m.article_id
        WHERE m.incident_id = new.incident_id; END;
    CREATE TRIGGER incident_stats_delete AFTER DELETE ON incident_members BEGIN
        DELETE FROM incident_stats WHERE incident_id = old.incident_id
        ; INSERT INTO incident_stats
        SELECT old.incident_id, count(*), min(a.published), max(a.published),
        group_concat(DISTINCT a.language)
        FROM incident_members m JOIN articles a ON a.id = m.article_id
        WHERE m.incident_id = old.incident_id HAVING count(*) > 0; END;
    CREATE TRIGGER incident_stats_update AFTER UPDATE OF incident_id ON incident_members BEGIN
        DELETE FROM incident_stats WHERE incident_id IN (old.incident_id, new.incident_id)
        ; INSERT INTO incident_stats
        SELECT m.incident_id, count(*), min(a.published), max(a.published), group_concat(DISTINCT a.language)
        FROM incident_members m JOIN articles a ON a.id = m.article_id
        WHERE m.incident_id IN (old.incident_id, new.incident_id) GROUP BY m.incident_id; END;
    CREATE TRIGGER incident_stats_article AFTER UPDATE OF published, language ON articles BEGIN
        INSERT OR REPLACE INTO incident_stats
        SELECT m.incident_id, count(*), min(a.published), max(a.published), group_concat(DISTINCT a.language)
        FROM incident_members m JOIN articles a ON a.id = m.article_id
        WHERE m.incident_id = (SELECT incident_id FROM incident_members WHERE article_id = new.id)
        GROUP BY m.incident_id; END;
    INSERT INTO incident_stats
    SELECT m.incident_id, count(*), min(a.published), max(a.published), group_concat(DISTINCT a.language)
    FROM incident_members m JOIN articles a ON a.id = m.article_id GROUP BY m.incident_id;
    """,
    """
    -- Each `brief cluster` run: when it ended, whether it regrouped every incident (--rebuild), and its
    -- report (JSON): the review app's activity log shows the rebuilds, which may change any incident.
    CREATE TABLE cluster_runs (
        id INTEGER PRIMARY KEY,
        finished_at TEXT NOT NULL,
        rebuild INTEGER NOT NULL,
        report TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

_ARTICLE_COLUMNS = [
    "url", "external_id", "canonical_url", "title", "authors", "published", "modified", "language",
    "language_confidence", "site_name", "description", "tags", "text", "extractor", "source",
    "content_hash", "duplicate_of", "duplicate_kind", "fetched_at",
]  # fmt: skip


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class CacheEntry:
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    body: bytes | None
    fetched_at: str


class Store:
    """One SQLite database. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly and not self.path.exists():
            raise StoreError(f"{self.path}: no such database (run `brief collect` first)")
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            else:
                self.db = sqlite3.connect(self.path)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA busy_timeout = 5000")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: database schema version {version} is newer than this "
                    f"incident-brief understands ({SCHEMA_VERSION}); upgrade incident-brief"
                )
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self._migrate(version)
            elif version < SCHEMA_VERSION:
                raise StoreError(f"{self.path}: database needs an upgrade; run `brief collect` once")
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None

    def _migrate(self, version: int) -> None:
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                # executescript would commit on its own; run statements one by one inside our transaction
                for statement in _split_sql(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.rollback()
                raise
            self.db.commit()
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None

    # Articles

    def article_id_for_key(self, url_key: str) -> int | None:
        rows = self.query("SELECT id FROM articles WHERE url_key = ?", (url_key,))
        return rows[0]["id"] if rows else None

    def known_url_keys(self, url_keys: list[str]) -> dict[str, str]:
        """Maps each stored url_key among `url_keys` to when it was last fetched."""
        found: dict[str, str] = {}
        for start in range(0, len(url_keys), 500):
            chunk = url_keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(
                f"SELECT url_key, fetched_at FROM articles WHERE url_key IN ({marks})", tuple(chunk)
            ):
                found[row["url_key"]] = row["fetched_at"]
        return found

    def get_article(self, article_id: int) -> Article | None:
        rows = self.query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return _row_to_article(rows[0]) if rows else None

    def iter_articles(self, *, since: str | None = None, limit: int | None = None) -> Iterator[Article]:
        sql = "SELECT * FROM articles"
        params: list = []
        if since:
            sql += " WHERE published >= ?"
            params.append(since)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        try:
            for row in self.db.execute(sql, params):
                yield _row_to_article(row)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None

    def count_articles(self) -> int:
        return self.query("SELECT count(*) FROM articles")[0][0]

    def raw_html(self, article_id: int) -> bytes | None:
        rows = self.query("SELECT html FROM raw_pages WHERE article_id = ?", (article_id,))
        return zlib.decompress(rows[0]["html"]) if rows else None

    def write_article(self, db: sqlite3.Connection, article: Article, url_key: str) -> int:
        """Insert or update (by url_key) inside the caller's transaction; returns the id."""
        values = _article_values(article)
        stamp = now_iso()
        existing = db.execute("SELECT id FROM articles WHERE url_key = ?", (url_key,)).fetchone()
        if existing:
            assignments = ", ".join(f"{c} = ?" for c in _ARTICLE_COLUMNS)
            db.execute(
                f"UPDATE articles SET {assignments}, updated_at = ? WHERE id = ?",
                [*values, stamp, existing["id"]],
            )
            return existing["id"]
        columns = ", ".join(_ARTICLE_COLUMNS)
        marks = ", ".join("?" * (len(_ARTICLE_COLUMNS) + 2))
        cursor = db.execute(
            f"INSERT INTO articles ({columns}, url_key, updated_at) VALUES ({marks})",
            [*values, url_key, stamp],
        )
        return cursor.lastrowid

    def write_raw_page(
        self,
        db: sqlite3.Connection,
        article_id: int,
        html: bytes,
        final_url: str | None,
        content_type: str | None,
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO raw_pages (article_id, final_url, content_type, html) "
            "VALUES (?, ?, ?, ?)",
            (article_id, final_url, content_type, zlib.compress(html, 6)),
        )

    # Near-duplicate index

    def write_minhash(
        self, db: sqlite3.Connection, article_id: int, signature: bytes, bands: list[tuple[int, int]]
    ) -> None:
        db.execute("DELETE FROM minhash_bands WHERE article_id = ?", (article_id,))
        db.execute(
            "INSERT OR REPLACE INTO minhashes (article_id, signature) VALUES (?, ?)", (article_id, signature)
        )
        db.executemany(
            "INSERT OR IGNORE INTO minhash_bands (band, bucket, article_id) VALUES (?, ?, ?)",
            [(band, bucket, article_id) for band, bucket in bands],
        )

    def minhash_candidates(
        self, bands: list[tuple[int, int]], exclude: int | None = None
    ) -> dict[int, bytes]:
        """Articles sharing at least one LSH band bucket, with their signatures."""
        ids: set[int] = set()
        for band, bucket in bands:
            ids.update(
                row[0]
                for row in self.query(
                    "SELECT article_id FROM minhash_bands WHERE band = ? AND bucket = ?", (band, bucket)
                )
            )
        ids.discard(exclude)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.query(
            f"SELECT article_id, signature FROM minhashes WHERE article_id IN ({marks})", tuple(ids)
        )
        return {row["article_id"]: row["signature"] for row in rows}

    def ids_with_hash(self, content_hash: str, exclude: int | None = None) -> list[int]:
        rows = self.query("SELECT id FROM articles WHERE content_hash = ? ORDER BY id", (content_hash,))
        return [row["id"] for row in rows if row["id"] != exclude]

    def duplicate_root(self, article_id: int) -> tuple[int, str | None]:
        """The original an article is linked to (itself if it is one), with that original's date."""
        row = self.query("SELECT id, duplicate_of, published FROM articles WHERE id = ?", (article_id,))[0]
        if row["duplicate_of"] is None:
            return row["id"], row["published"]
        root = self.query("SELECT id, published FROM articles WHERE id = ?", (row["duplicate_of"],))[0]
        return root["id"], root["published"]

    def link_duplicate(
        self, db: sqlite3.Connection, article_id: int, original_id: int | None, kind: str | None
    ) -> None:
        db.execute(
            "UPDATE articles SET duplicate_of = ?, duplicate_kind = ? WHERE id = ?",
            (original_id, kind, article_id),
        )

    def promote_original(self, db: sqlite3.Connection, new_root: int, old_root: int, kind: str) -> None:
        """`new_root` turned out to be the earlier report: the old group now points to it."""
        db.execute(
            "UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ? AND id != ?",
            (new_root, old_root, new_root),
        )
        db.execute(
            "UPDATE articles SET duplicate_of = ?, duplicate_kind = ? WHERE id = ?",
            (new_root, kind, old_root),
        )
        db.execute("UPDATE articles SET duplicate_of = NULL, duplicate_kind = NULL WHERE id = ?", (new_root,))

    # Analyses

    def articles_to_analyze(self, pipeline: str, *, everything: bool = False) -> list[int]:
        """Ids of articles without a current analysis (new, changed text, or another pipeline)."""
        if everything:
            return [row[0] for row in self.query("SELECT id FROM articles ORDER BY id")]
        rows = self.query(
            "SELECT a.id FROM articles a LEFT JOIN analyses n ON n.article_id = a.id "
            "WHERE n.article_id IS NULL OR n.pipeline != ? OR n.content_hash != a.content_hash ORDER BY a.id",
            (pipeline,),
        )
        return [row[0] for row in rows]

    def write_analysis(
        self, db: sqlite3.Connection, article_id: int, pipeline: str, content_hash: str, result: dict
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO analyses (article_id, pipeline, content_hash, analyzed_at, result) "
            "VALUES (?, ?, ?, ?, ?)",
            (article_id, pipeline, content_hash, now_iso(), json.dumps(result, ensure_ascii=False)),
        )

    def get_analysis(self, article_id: int) -> dict | None:
        rows = self.query("SELECT result FROM analyses WHERE article_id = ?", (article_id,))
        return json.loads(rows[0]["result"]) if rows else None

    # Clustering features (nlp/clustering.py)

    def feature_embedders(self) -> dict[str, int]:
        """Embedder names in the stored features, with how many articles each embedded."""
        rows = self.query("SELECT embedder, count(*) FROM article_features GROUP BY embedder")
        return {row[0]: row[1] for row in rows}

    def articles_to_featurize(self, embedder: str, version: str) -> list[int]:
        """Articles without current features: new, changed text, a newer analysis, or features of
        another version."""
        rows = self.query(
            "SELECT a.id FROM articles a LEFT JOIN article_features f ON f.article_id = a.id "
            "LEFT JOIN analyses n ON n.article_id = a.id "
            "WHERE f.article_id IS NULL OR f.embedder != ? OR f.content_hash != a.content_hash "
            "OR f.version != ? "
            "OR (n.analyzed_at IS NOT NULL AND (f.analyzed_at IS NULL OR f.analyzed_at < n.analyzed_at)) "
            "ORDER BY a.id",
            (embedder, version),
        )
        return [row[0] for row in rows]

    def current_vectors(self, article_ids: list[int], embedder: str) -> dict[int, bytes]:
        """Stored vectors still valid for the article's text and this embedder, so that describing an
        article again (newer analysis, new features version) does not mean embedding it again."""
        found: dict[int, bytes] = {}
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(
                "SELECT f.article_id, f.vectors FROM article_features f "
                "JOIN articles a ON a.id = f.article_id "
                f"WHERE f.embedder = ? AND f.content_hash = a.content_hash AND f.article_id IN ({marks})",
                (embedder, *chunk),
            ):
                found[row[0]] = row[1]
        return found

    def analysis_times(self, article_ids: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(
                f"SELECT article_id, analyzed_at FROM analyses WHERE article_id IN ({marks})", tuple(chunk)
            ):
                found[row[0]] = row[1]
        return found

    def write_features(self, db: sqlite3.Connection, rows: list[tuple]) -> None:
        """Rows of (article_id, embedder, dimension, content_hash, analyzed_at, vectors, terms JSON,
        entities JSON, dates JSON, version); an article's previous terms leave the document frequencies."""
        for row in rows:
            old = db.execute("SELECT terms FROM article_features WHERE article_id = ?", (row[0],)).fetchone()
            if old:
                db.executemany(
                    "UPDATE term_df SET df = df - 1 WHERE term = ?", [(t,) for t in json.loads(old[0])]
                )
            db.executemany(
                "INSERT INTO term_df (term, df) VALUES (?, 1) ON CONFLICT(term) DO UPDATE SET df = df + 1",
                [(t,) for t in json.loads(row[6])],
            )
        db.executemany("INSERT OR REPLACE INTO article_features VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def delete_features(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM article_features")
        db.execute("DELETE FROM term_df")

    def featured_article_ids(self) -> list[int]:
        """The articles with stored features."""
        return [row[0] for row in self.query("SELECT article_id FROM article_features")]

    def iter_features(
        self, article_ids: list[int] | None = None, *, described: bool = True
    ) -> Iterator[sqlite3.Row]:
        """Feature rows joined with what clustering needs of the article; `described=False`: the
        vectors and the article's own fields only, without terms, entities and dates."""
        columns = "f.*" if described else "f.article_id, f.vectors, f.analyzed_at"
        sql = (
            f"SELECT {columns}, a.published, a.language, a.title, a.duplicate_of, a.url_key "
            "FROM article_features f JOIN articles a ON a.id = f.article_id"
        )
        chunks = [None] if article_ids is None else [
            article_ids[i : i + 500] for i in range(0, len(article_ids), 500)
        ]  # fmt: skip
        for chunk in chunks:
            where = "" if chunk is None else f" WHERE f.article_id IN ({','.join('?' * len(chunk))})"
            try:  # a cursor, not fetchall: the rows of 100,000 articles hold about a gigabyte
                yield from self.db.execute(sql + where, tuple(chunk or ()))
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from None

    def term_frequencies(self) -> tuple[dict[str, int], int]:
        """Document frequency of every term, and the number of documents."""
        df = {row[0]: row[1] for row in self.query("SELECT term, df FROM term_df WHERE df > 0")}
        return df, self.query("SELECT count(*) FROM article_features")[0][0]

    # Incidents (nlp/incidents.py)

    def memberships(self) -> dict[int, str]:
        return {row[0]: row[1] for row in self.query("SELECT article_id, incident_id FROM incident_members")}

    def incident_ids(self) -> set[str]:
        return {row[0] for row in self.query("SELECT id FROM incidents")}

    def write_memberships(
        self, db: sqlite3.Connection, assignments: dict[int, tuple[str, str]], titles: dict[str, str]
    ) -> None:
        """Set each article's incident (article_id: (incident_id, source)); incidents left without
        members are removed, the titles of the given incidents updated."""
        stamp = now_iso()
        for incident_id, title in titles.items():
            db.execute(
                "INSERT INTO incidents (id, title, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at",
                (incident_id, title, stamp, stamp),
            )
        db.executemany(
            "INSERT INTO incident_members (article_id, incident_id, source, assigned_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(article_id) DO UPDATE SET incident_id = excluded.incident_id, "
            "source = excluded.source, assigned_at = excluded.assigned_at "
            "WHERE incident_id != excluded.incident_id OR source != excluded.source",
            [(article_id, incident, source, stamp) for article_id, (incident, source) in assignments.items()],
        )
        db.execute(
            "DELETE FROM incidents WHERE id NOT IN (SELECT DISTINCT incident_id FROM incident_members)"
        )

    def clear_memberships(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM incident_members")

    def incident_rows(self) -> list[sqlite3.Row]:
        """One row per incident: id, title, size, languages, first and last seen (from incident_stats, as
        the review app reads them), article ids and external ids."""
        return self.query(
            "SELECT i.id, i.title, s.size, s.languages, s.first_seen, s.last_seen, "
            "json_group_array(a.id) AS article_ids, "
            "json_group_array(coalesce(a.external_id, '')) AS external_ids "
            "FROM incidents i JOIN incident_stats s ON s.incident_id = i.id "
            "JOIN incident_members m ON m.incident_id = i.id "
            "JOIN articles a ON a.id = m.article_id GROUP BY i.id ORDER BY s.first_seen, i.id"
        )

    def record_cluster_run(self, db: sqlite3.Connection, *, rebuild: bool, report: dict) -> None:
        db.execute(
            "INSERT INTO cluster_runs (finished_at, rebuild, report) VALUES (?, ?, ?)",
            (now_iso(), int(rebuild), json.dumps(report)),
        )

    def rebuild_runs(self) -> list[dict]:
        """The `brief cluster --rebuild` runs, oldest first: id, finished_at and the run's report."""
        rows = self.query("SELECT id, finished_at, report FROM cluster_runs WHERE rebuild = 1 ORDER BY id")
        return [{"id": row[0], "finished_at": row[1], "report": json.loads(row[2])} for row in rows]

    def add_decision(
        self, db: sqlite3.Connection, kind: str, incident_id: str, other_id: str | None, changes: dict,
        actor: str,
    ) -> int:  # fmt: skip
        return db.execute(
            "INSERT INTO incident_decisions (kind, incident_id, other_id, changes, actor, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (kind, incident_id, other_id, json.dumps(changes), actor, now_iso()),
        ).lastrowid

    def decisions(self, *, include_undone: bool = False) -> list[sqlite3.Row]:
        where = "" if include_undone else " WHERE undone_at IS NULL"
        return self.query(f"SELECT * FROM incident_decisions{where} ORDER BY id")

    def undo_decision(self, db: sqlite3.Connection, decision_id: int, actor: str) -> bool:
        cursor = db.execute(
            "UPDATE incident_decisions SET undone_at = ?, undone_by = ? WHERE id = ? AND undone_at IS NULL",
            (now_iso(), actor, decision_id),
        )
        return cursor.rowcount == 1

    # HTTP cache

    def cache_entry(self, url: str) -> CacheEntry | None:
        rows = self.query("SELECT * FROM http_cache WHERE url = ?", (url,))
        return CacheEntry(**dict(rows[0])) if rows else None

    def write_cache(
        self,
        db: sqlite3.Connection,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        body_hash: str | None,
        body: bytes | None = None,
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO http_cache (url, etag, last_modified, body_hash, body, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                url,
                etag,
                last_modified,
                body_hash,
                zlib.compress(body) if body is not None else None,
                now_iso(),
            ),
        )

    def cached_body(self, entry: CacheEntry) -> bytes | None:
        return zlib.decompress(entry.body) if entry.body is not None else None

    # Runs

    def start_run(self) -> int:
        with self.transaction() as db:
            return db.execute("INSERT INTO collect_runs (started_at) VALUES (?)", (now_iso(),)).lastrowid

    def finish_run(self, run_id: int, summary: dict) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE collect_runs SET finished_at = ?, summary = ? WHERE id = ?",
                (now_iso(), json.dumps(summary), run_id),
            )


def _article_values(article: Article) -> list:
    data = article.to_dict()
    data["authors"] = json.dumps(article.authors, ensure_ascii=False)
    data["tags"] = json.dumps(article.tags, ensure_ascii=False)
    return [data[c] for c in _ARTICLE_COLUMNS]


def _row_to_article(row: sqlite3.Row) -> Article:
    data = {c: row[c] for c in _ARTICLE_COLUMNS}
    data["authors"] = json.loads(data["authors"])
    data["tags"] = json.loads(data["tags"])
    return Article(id=row["id"], **data)


def _split_sql(script: str) -> list[str]:
    statements, current = [], []
    for line in script.splitlines():
        current.append(line.split("--")[0])
        if line.split("--")[0].rstrip().endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";"))
            current = []
    return [s for s in statements if s]


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    message = str(exc)
    if "not a database" in message or "malformed" in message:
        return StoreError(
            f"{path}: not a valid incident-brief database ({message}); move it aside or restore a backup"
        )
    if "readonly" in message or "read-only" in message:
        return StoreError(f"{path}: database is read-only ({message})")
    if "unable to open" in message:
        return StoreError(f"{path}: cannot open database ({message})")
    if "locked" in message:
        return StoreError(f"{path}: database is locked by another process ({message})")
    return StoreError(f"{path}: database error: {message}")
