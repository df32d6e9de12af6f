"""`brief collect`: discover pages from sources, fetch them politely, extract, deduplicate and store.

Discovery and fetching are asynchronous; extraction (CPU-bound) runs in worker processes; the store
is written from the event loop, one short transaction per article, so an interrupted run loses at
most the articles in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np

from incident_brief.config import Settings, SourceConfig
from incident_brief.corpus.dedup import NearDuplicateDetector, content_hash, normalize_url
from incident_brief.corpus.extract import Extractor, extract_in_worker, init_worker
from incident_brief.corpus.fetch import Fetcher, FetchError
from incident_brief.corpus.language import LanguageIdentifier
from incident_brief.corpus.records import Article
from incident_brief.corpus.sources import PageTask, SourceFailure, discover, local_media_type, normalize_date
from incident_brief.corpus.store import Store, now_iso


@dataclass
class SourceStats:
    name: str
    kind: str
    discovered: int = 0  # pages (or records) the source listed
    fetched: int = 0  # pages downloaded or read
    new: int = 0
    updated: int = 0  # stored before, content changed
    duplicates: int = 0  # new or updated articles linked to an original
    unchanged: int = 0  # fetched again, same content
    not_modified: int = 0  # 304 from a conditional GET
    cached: int = 0  # already stored, not fetched again
    skipped: int = 0  # older than --since, or beyond --max-articles
    failed: Counter = field(default_factory=Counter)  # by reason

    def to_dict(self) -> dict:
        data = asdict(self)
        data["failed"] = dict(self.failed)
        return data


@dataclass
class CollectReport:
    sources: list[SourceStats]
    failures: list[SourceFailure]
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted

    def totals(self) -> dict:
        total = SourceStats("total", "")
        for stats in self.sources:
            for key in (
                "discovered",
                "fetched",
                "new",
                "updated",
                "duplicates",
                "unchanged",
                "not_modified",
                "cached",
                "skipped",
            ):
                setattr(total, key, getattr(total, key) + getattr(stats, key))
            total.failed.update(stats.failed)
        return total.to_dict()

    def to_dict(self) -> dict:
        return {
            "sources": [s.to_dict() for s in self.sources],
            "totals": self.totals(),
            "failures": [asdict(f) for f in self.failures],
            "interrupted": self.interrupted,
        }


ProgressCallback = Callable[[str, int], None]  # ("discovered" | "done", count)


def collect(
    store: Store,
    settings: Settings,
    sources: list[SourceConfig],
    *,
    since: str | None = None,
    max_articles: int | None = None,
    progress: ProgressCallback | None = None,
) -> CollectReport:
    """Collect `sources` into `store`. Ctrl-C or SIGTERM stop it cleanly; the report says so."""
    collector = Collector(store, settings, since=since, max_articles=max_articles, progress=progress)
    return asyncio.run(collector.run(sources))


class Collector:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        since: str | None = None,
        max_articles: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.since = normalize_date(since) if since else None
        self.max_articles = max_articles
        self.progress = progress or (lambda event, count: None)
        self.detector = NearDuplicateDetector(settings.dedup)
        self.stats: dict[str, SourceStats] = {}
        self.failures: list[SourceFailure] = []
        self.stored = 0  # new or updated articles this run, for --max-articles
        self.claimed: set[str] = set()  # url keys being processed, so a URL listed twice is done once
        self.language_identifier: LanguageIdentifier | None = None
        self.extractor: Extractor | None = None

    async def run(self, sources: list[SourceConfig]) -> CollectReport:
        for source in sources:
            self.stats[source.name] = SourceStats(source.name, source.kind)
        run_id = self.store.start_run()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        interrupted = False
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or no signals
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        executor = self._executor()
        try:
            async with Fetcher(self.settings.fetch) as fetcher:
                self.fetcher = fetcher
                self.executor = executor
                await self._run_sources(sources)
        except asyncio.CancelledError:
            interrupted = True
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)
            if executor is not None:
                executor.shutdown(wait=not interrupted, cancel_futures=True)
        report = CollectReport(list(self.stats.values()), self.failures, interrupted)
        self.store.finish_run(run_id, report.to_dict())
        return report

    def _executor(self) -> Executor | None:
        workers = self.settings.collect.workers or os.cpu_count() or 1
        if workers <= 1:
            return None
        # forkserver: workers start from a clean single-threaded process (safe beside our threads)
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker)

    async def _run_sources(self, sources: list[SourceConfig]) -> None:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        workers = [
            asyncio.create_task(self._work(queue)) for _ in range(max(2, self.settings.fetch.concurrency))
        ]
        try:
            await asyncio.gather(*(self._discover(source, queue) for source in sources))
            await queue.join()
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _discover(self, source: SourceConfig, queue: asyncio.Queue) -> None:
        stats = self.stats[source.name]

        async def fetch_xml(url: str) -> bytes:
            return await self._fetch_cached(url, source.allow_private)

        async def sitemaps_from_robots(url: str) -> list[str]:
            return await self.fetcher.sitemaps_from_robots(url, allow_private=self._allow(source))

        async for item in discover(source, fetch_xml, sitemaps_from_robots, self._fail):
            stats.discovered += 1
            self.progress("discovered", 1)
            await queue.put((source, item))

    async def _work(self, queue: asyncio.Queue) -> None:
        while True:
            source, item = await queue.get()
            try:
                if isinstance(item, Article):
                    self._import(source, item)
                else:
                    await self._collect_page(source, item)
            except FetchError as exc:
                self._fail(SourceFailure(source.name, item.url, exc.reason, exc.detail))
            finally:
                self.progress("done", 1)
                queue.task_done()

    def _language(self) -> LanguageIdentifier:
        """Language is identified here, once, rather than in every extraction worker (memory)."""
        if self.language_identifier is None:
            self.language_identifier = LanguageIdentifier()
        return self.language_identifier

    def _extractor(self) -> Extractor:
        """For extraction in this process (collect.workers = 1)."""
        if self.extractor is None:
            self.extractor = Extractor()
        return self.extractor

    def _allow(self, source: SourceConfig) -> bool:
        return source.allow_private or self.settings.fetch.allow_private

    def _fail(self, failure: SourceFailure) -> None:
        self.failures.append(failure)
        self.stats[failure.source].failed[failure.reason] += 1

    def _limit_reached(self) -> bool:
        return self.max_articles is not None and self.stored >= self.max_articles

    def _too_old(self, published: str | None) -> bool:
        return bool(self.since and published and published[:10] < self.since[:10])

    async def _fetch_cached(self, url: str, allow_private: bool) -> bytes:
        """A feed or sitemap by conditional GET; on 304 the body stored last time."""
        entry = self.store.cache_entry(url)
        result = await self.fetcher.fetch(
            url,
            accept="xml",
            etag=entry.etag if entry else None,
            last_modified=entry.last_modified if entry else None,
            allow_private=allow_private or self.settings.fetch.allow_private,
        )
        if result.not_modified and entry is not None and entry.body is not None:
            return self.store.cached_body(entry)
        with self.store.transaction() as db:
            self.store.write_cache(
                db,
                url,
                etag=result.etag,
                last_modified=result.last_modified,
                body_hash=_sha256(result.content),
                body=result.content,
            )
        return result.content

    async def _collect_page(self, source: SourceConfig, task: PageTask) -> None:
        stats = self.stats[source.name]
        key = normalize_url(task.url)
        if self._limit_reached() or self._too_old(task.published) or key in self.claimed:
            stats.skipped += 1
            return
        self.claimed.add(key)
        if task.path is not None:
            await self._collect_file(source, task, key)
            return
        stored_at = self.store.known_url_keys([key]).get(key)
        entry = None
        if stored_at is not None:
            changed = bool(task.updated and task.updated > stored_at)
            if not (task.revalidate or changed):
                stats.cached += 1
                return
            entry = self.store.cache_entry(key)
        result = await self.fetcher.fetch(
            task.url,
            accept="html",
            etag=entry.etag if entry else None,
            last_modified=entry.last_modified if entry else None,
            allow_private=self._allow(source),
        )
        if result.not_modified:
            stats.not_modified += 1
            return
        stats.fetched += 1
        final_key = normalize_url(result.final_url)
        if final_key != key and final_key in self.claimed:
            stats.skipped += 1  # a redirect to a page this run already has
            return
        self.claimed.add(final_key)
        await self._extract_and_store(
            source,
            task,
            final_key,
            result.content,
            result.final_url,
            result.content_type,
            etag=result.etag,
            last_modified=result.last_modified,
        )

    async def _collect_file(self, source: SourceConfig, task: PageTask, key: str) -> None:
        stats = self.stats[source.name]
        try:
            content = await asyncio.to_thread(task.path.read_bytes)
        except OSError as exc:
            self._fail(SourceFailure(source.name, str(task.path), "not-found", exc.strerror or str(exc)))
            return
        stats.fetched += 1
        entry = self.store.cache_entry(key)
        if entry is not None and entry.body_hash == _sha256(content) and self.store.article_id_for_key(key):
            stats.unchanged += 1
            return
        await self._extract_and_store(source, task, key, content, task.url, local_media_type(task.path))

    async def _extract_and_store(
        self,
        source: SourceConfig,
        task: PageTask,
        key: str,
        content: bytes,
        final_url: str,
        content_type: str | None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        stats = self.stats[source.name]
        if self.executor is None or content_type == "text/plain":  # plain text needs no parsing
            extraction = self._extractor().extract(content, final_url, content_type)
        else:
            loop = asyncio.get_running_loop()
            extraction = await loop.run_in_executor(self.executor, extract_in_worker, content, final_url)
        if not extraction.text.strip():
            self._fail(SourceFailure(source.name, final_url, "no-text", "no main text found in the page"))
            return
        article = Article.from_extraction(extraction, url=final_url, source=source.name)
        # What the feed or sitemap said fills gaps the page itself leaves.
        article.title = article.title or task.title
        article.published = article.published or task.published
        guess = self._language().identify(article.text)
        article.language, article.language_confidence = guess.language, guess.confidence or None
        if task.language and not article.language:
            article.language = task.language
        article.fetched_at = now_iso()
        article.content_hash = content_hash(article.text)
        if self._too_old(article.published):
            stats.skipped += 1
            return
        outcome = self._store(
            article,
            key,
            self.detector.signature(article.text),
            raw=(content, final_url, content_type),
            cache=(etag, last_modified, _sha256(content)),
        )
        self._count(stats, outcome)

    def _import(self, source: SourceConfig, article: Article) -> None:
        stats = self.stats[source.name]
        key = normalize_url(article.url)
        if self._limit_reached() or self._too_old(article.published) or key in self.claimed:
            stats.skipped += 1
            return
        self.claimed.add(key)
        stats.fetched += 1
        if article.language is None:
            guess = self._language().identify(article.text)
            article.language, article.language_confidence = guess.language, guess.confidence
        article.fetched_at = now_iso()
        article.content_hash = content_hash(article.text)
        outcome = self._store(article, key, self.detector.signature(article.text))
        self._count(stats, outcome)

    def _count(self, stats: SourceStats, outcome: tuple[str, bool]) -> None:
        status, duplicate = outcome
        setattr(stats, status, getattr(stats, status) + 1)
        if status in ("new", "updated"):
            self.stored += 1
            stats.duplicates += duplicate

    def _store(
        self, article: Article, key: str, signature: np.ndarray, raw=None, cache=None
    ) -> tuple[str, bool]:
        """Write one article in one transaction; returns ("new" | "updated" | "unchanged", is_duplicate)."""
        store = self.store
        existing_id = store.article_id_for_key(key)
        if existing_id is not None:
            existing = store.get_article(existing_id)
            if existing.content_hash == article.content_hash:
                if cache is not None:
                    with store.transaction() as db:
                        store.write_cache(db, key, etag=cache[0], last_modified=cache[1], body_hash=cache[2])
                return "unchanged", False
        if self._limit_reached():
            return "skipped", False
        bands = self.detector.band_keys(signature)
        with store.transaction() as db:
            article_id = store.write_article(db, article, key)
            if raw is not None:
                store.write_raw_page(db, article_id, *raw)
            if cache is not None:
                store.write_cache(db, key, etag=cache[0], last_modified=cache[1], body_hash=cache[2])
            store.write_minhash(db, article_id, signature.tobytes(), bands)
            duplicate = self._link_duplicate(db, article_id, article, signature, bands)
        return ("updated" if existing_id is not None else "new"), duplicate

    def _link_duplicate(self, db, article_id: int, article: Article, signature, bands) -> bool:
        store = self.store
        exact = store.ids_with_hash(article.content_hash, exclude=article_id)
        if exact:
            match, kind = exact[0], "exact"
        else:
            near = self.detector.best_match(signature, store.minhash_candidates(bands, exclude=article_id))
            if near is None:
                store.link_duplicate(db, article_id, None, None)
                return False
            match, kind = near.article_id, "near"
        root_id, root_published = store.duplicate_root(match)
        if root_id == article_id:
            return False
        if article.published and root_published and article.published[:10] < root_published[:10]:
            store.promote_original(db, article_id, root_id, kind)  # the new article is the earlier report
            return True
        store.link_duplicate(db, article_id, root_id, kind)
        return True


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
