import sqlite3

import pytest

from incident_brief.corpus.records import Article
from incident_brief.corpus.store import SCHEMA_VERSION, Store
from incident_brief.errors import StoreError


def _article(url="https://news.example/a", text="Ein Text.", **kw) -> Article:
    return Article(
        url=url,
        text=text,
        content_hash=kw.pop("content_hash", "h1"),
        fetched_at="2026-11-01T00:00:00+00:00",
        **kw,
    )


def test_new_database_has_current_schema_and_wal(tmp_path):
    with Store(tmp_path / "brief.db") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_write_and_read_article_round_trip(tmp_path):
    with Store(tmp_path / "brief.db") as store, store.transaction() as db:
        article_id = store.write_article(
            db, _article(title="Titel", authors=["Anna Berg", "Jörg Weiß"], tags=["Ransomware"]), "k1"
        )
        store.write_raw_page(db, article_id, b"<html>\xc3\xa4</html>", "https://news.example/a", "text/html")
    with Store(tmp_path / "brief.db", readonly=True) as store:
        article = store.get_article(article_id)
        assert article.title == "Titel"
        assert article.authors == ["Anna Berg", "Jörg Weiß"]
        assert article.tags == ["Ransomware"]
        assert store.raw_html(article_id) == b"<html>\xc3\xa4</html>"


def test_same_url_key_updates_in_place(tmp_path):
    with Store(tmp_path / "brief.db") as store:
        with store.transaction() as db:
            first = store.write_article(db, _article(text="alt"), "k1")
        with store.transaction() as db:
            second = store.write_article(db, _article(text="neu", content_hash="h2"), "k1")
        assert first == second
        assert store.count_articles() == 1
        assert store.get_article(first).text == "neu"


def test_failed_transaction_leaves_nothing(tmp_path):
    with Store(tmp_path / "brief.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as db:
            store.write_article(db, _article(), "k1")
            raise RuntimeError("interrupted")
        assert store.count_articles() == 0


def test_corrupt_file_is_a_store_error(tmp_path):
    path = tmp_path / "brief.db"
    path.write_bytes(b"this is not sqlite at all, just some bytes" * 100)
    with pytest.raises(StoreError, match="not a valid incident-brief database"):
        Store(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # nothing overwritten


def test_read_only_file_refuses_writes_cleanly(tmp_path, read_only):
    path = tmp_path / "brief.db"
    with Store(path) as store, store.transaction() as db:
        store.write_article(db, _article(), "k1")
    with (
        read_only(path),
        pytest.raises(StoreError, match="read-only|cannot open"),
        Store(path) as store,
        store.transaction() as db,
    ):
        store.write_article(db, _article(url="https://news.example/b"), "k2")
    with Store(path, readonly=True) as store:
        assert store.count_articles() == 1


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "brief.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_readonly_open_of_missing_database(tmp_path):
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()
