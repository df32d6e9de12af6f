"""Multi-document extractive summary: centrality, then maximal marginal relevance, over sentence vectors.

The vectors are multilingual, so a sentence and its translation in another outlet are close: the
redundancy limit keeps only one of them, and the language preference decides which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from incident_brief.briefs.model import Evidence, SummarySentence

REDUNDANCY_LIMIT = 0.8  # no two summary sentences closer than this (cosine)
MIN_SENTENCES = 3
MAX_SENTENCES = 6
OTHER_LANGUAGE_PENALTY = 0.15  # a lead sentence elsewhere beats a background one here, not a supported one
RELEVANCE_WEIGHT = 0.7  # MMR lambda: relevance against novelty
DANGLING_PENALTY = 0.1  # a sentence opening with a pronoun or connective needs the one before it
# Words that, opening a sentence, refer back to an earlier one (English, German, French).
_DANGLING_OPENERS = frozenset(
    "it its they their this these those he she his her also but however meanwhile "
    "er sie es dies diese dieser aber auch zudem allerdings "
    "il elle ils elles cela mais aussi cependant".split()
)
SAME_SOURCE_PENALTY = 0.03  # per sentence already taken from that report: a summary of the coverage
# At most this many candidates, lead sentences first: bounds the n x n similarity (16 MB) for incidents
# of hundreds of reports, where all sentences would need gigabytes and a summary comes from the leads.
MAX_CANDIDATES = 2000


@dataclass(frozen=True)
class Candidate:
    """A sentence of an original (not syndicated) report that may enter the summary."""

    text: str
    language: str | None
    evidence: Evidence
    position: int  # the sentence's index in its article: news put the essentials first
    published: str | None


def centrality(candidates: list[Candidate], vectors: np.ndarray) -> np.ndarray:
    """How much each sentence states what the coverage as a whole states.

    Support from other reports (the best match in each other article, averaged) counts most: a fact
    several outlets report is central. Closeness to the centroid and a lead bonus break ties and carry
    single-article incidents.
    """
    similarity = vectors @ vectors.T
    reports, own = np.unique([c.evidence.article_id for c in candidates], return_inverse=True)
    support = np.zeros(len(candidates))
    if len(reports) > 1:
        best_per_report = np.stack([similarity[:, own == r].max(axis=1) for r in range(len(reports))], axis=1)
        best_per_report[np.arange(len(candidates)), own] = 0.0
        support = best_per_report.sum(axis=1) / (len(reports) - 1)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    lead = np.array([1.0 / (1.0 + c.position) for c in candidates])
    return 0.5 * support + 0.3 * (vectors @ centroid) + 0.2 * lead


def select(
    candidates: list[Candidate],
    vectors: np.ndarray,
    *,
    language: str,
    count: int,
) -> list[int]:
    """Indices of the chosen sentences, in reading order (report date, then position)."""
    if not candidates:
        return []
    scores = centrality(candidates, vectors)
    scores -= np.array([OTHER_LANGUAGE_PENALTY if c.language != language else 0.0 for c in candidates])
    scores -= np.array([DANGLING_PENALTY if _dangling(c.text) else 0.0 for c in candidates])
    chosen: list[int] = []
    closest = np.full(len(candidates), -1.0)  # each candidate's highest similarity to a chosen one
    available = np.ones(len(candidates), dtype=bool)
    articles = np.array([c.evidence.article_id for c in candidates])
    used = np.zeros(len(candidates))  # sentences already taken from each candidate's article
    while len(chosen) < count and available.any():
        mmr = RELEVANCE_WEIGHT * scores - (1 - RELEVANCE_WEIGHT) * np.maximum(closest, 0.0)
        mmr -= SAME_SOURCE_PENALTY * used
        mmr[~available] = -np.inf
        best = int(np.argmax(mmr))
        chosen.append(best)
        used[articles == articles[best]] += 1
        closest = np.maximum(closest, vectors @ vectors[best])
        available &= closest <= REDUNDANCY_LIMIT  # drops `best` itself and its near-translations
    return sorted(
        chosen,
        key=lambda i: (
            candidates[i].published or "",
            candidates[i].evidence.article_id,
            candidates[i].position,
        ),
    )


def _dangling(text: str) -> bool:
    first = text.lstrip("\"'“„«‚‘ ").split(" ", 1)[0].strip(",;:").lower()
    return first in _DANGLING_OPENERS


def summary_length(independent_sources: int, available: int) -> int:
    """Three sentences for one report, one more per further independent report, at most six."""
    return min(available, max(MIN_SENTENCES, min(MAX_SENTENCES, 2 + independent_sources)))


def shortlist(candidates: list[Candidate], limit: int = MAX_CANDIDATES) -> list[int]:
    """Indices of at most `limit` candidates, the earliest sentences of every report first."""
    if len(candidates) <= limit:
        return list(range(len(candidates)))
    return sorted(sorted(range(len(candidates)), key=lambda i: candidates[i].position)[:limit])


def extractive_summary(
    candidates: list[Candidate], vectors: np.ndarray, *, language: str, independent_sources: int
) -> list[SummarySentence]:
    count = summary_length(independent_sources, len(candidates))
    kept = shortlist(candidates)
    chosen = select([candidates[i] for i in kept], vectors[kept], language=language, count=count)
    return [
        SummarySentence(candidates[i].text, candidates[i].language, [candidates[i].evidence])
        for i in (kept[j] for j in chosen)
    ]
