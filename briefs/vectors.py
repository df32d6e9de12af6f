"""Sentence embeddings for summaries: each article's sentences and their vectors, kept in the store.

Embedding is the expensive step of a brief (milliseconds per sentence), so each article's sentences
and vectors are computed once per text and embedder and stored (`brief_sentences`); briefs of
already-analysed incidents then only read them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from incident_brief.briefs.text import SentenceSpan, SentenceSplitter
from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.nlp.embeddings import Embedder


@dataclass
class ArticleSentences:
    spans: list[SentenceSpan]
    vectors: np.ndarray  # float32, one L2-normalised row per span


class SentenceIndex:
    """Sentences and their vectors per article, read from the store or computed and stored."""

    def __init__(self, store: Store, embedder: Embedder, splitter: SentenceSplitter | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.splitter = splitter or SentenceSplitter()

    def get(self, articles: Iterable[Article]) -> dict[int, ArticleSentences]:
        """By article id; the missing or stale ones are embedded in one batch and stored."""
        articles = list(articles)
        found = self._load(articles)
        missing = [a for a in articles if a.id not in found]
        if not missing:
            return found
        planned = {a.id: self.splitter.split(a.text, a.language) for a in missing}
        texts = [a.text[s.start : s.end] for a in missing for s in planned[a.id]]
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        rows, offset = [], 0
        for article in missing:
            spans = planned[article.id]
            block = vectors[offset : offset + len(spans)].astype(np.float32)
            offset += len(spans)
            found[article.id] = ArticleSentences(spans, block)
            rows.append(
                (
                    article.id,
                    article.content_hash or "",
                    self.embedder.name,
                    json.dumps([[s.start, s.end] for s in spans]),
                    block.astype(np.float16).tobytes(),
                )
            )
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO brief_sentences (article_id, content_hash, embedder, spans, vectors) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return found

    def _load(self, articles: list[Article]) -> dict[int, ArticleSentences]:
        if not articles:
            return {}
        hashes = {a.id: a.content_hash or "" for a in articles}
        marks = ",".join("?" * len(hashes))
        rows = self.store.query(
            f"SELECT article_id, content_hash, embedder, spans, vectors FROM brief_sentences "
            f"WHERE article_id IN ({marks})",
            tuple(hashes),
        )
        found = {}
        for row in rows:
            if row["content_hash"] != hashes[row["article_id"]] or row["embedder"] != self.embedder.name:
                continue  # the text changed or another embedder made them: compute again
            spans = [SentenceSpan(start, end) for start, end in json.loads(row["spans"])]
            vectors = np.frombuffer(row["vectors"], dtype=np.float16).astype(np.float32)
            shape = (len(spans), -1) if spans else (0, 0)
            found[row["article_id"]] = ArticleSentences(spans, vectors.reshape(shape))
        return found
