"""Deduplication: URL normalisation, exact content hashes and MinHash near-duplicates.

Duplicates are never dropped: a syndicated copy or an update keeps its own row and points to its
original through `duplicate_of`, so downstream stages can count independent sources.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import courlan
import numpy as np
from datasketch import MinHash

from incident_brief.config import DedupSettings

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_url(url: str) -> str:
    """The identity of a page URL: lower-case scheme and host, no default port, no tracking parameters
    (utm_*, fbclid, ...), sorted query, no fragment, no trailing slash except for the root."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return url  # file: URIs and import keys are already canonical
    with contextlib.suppress(ValueError):  # an unparsable URL stays as it is; it still works as a key
        url = courlan.normalize_url(url)
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def normalize_text(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


@dataclass
class NearDuplicate:
    article_id: int
    similarity: float  # estimated Jaccard similarity of word shingles


class NearDuplicateDetector:
    """MinHash signatures over word shingles, banded for locality-sensitive lookup in the store."""

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        self.rows_per_band = _rows_per_band(settings.near_duplicate_threshold, settings.num_perm)
        self.bands = settings.num_perm // self.rows_per_band

    def signature(self, text: str) -> np.ndarray:
        words = _WORD.findall(normalize_text(text))
        size = self.settings.shingle_size
        shingles = {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}
        minhash = MinHash(num_perm=self.settings.num_perm)
        minhash.update_batch([s.encode("utf-8") for s in shingles])
        return minhash.hashvalues.astype(np.uint64)

    def band_keys(self, signature: np.ndarray) -> list[tuple[int, int]]:
        """(band, bucket) pairs; two signatures sharing any pair are candidates."""
        keys = []
        for band in range(self.bands):
            chunk = signature[band * self.rows_per_band : (band + 1) * self.rows_per_band]
            digest = hashlib.blake2b(chunk.tobytes(), digest_size=8).digest()
            keys.append((band, int.from_bytes(digest, "big", signed=True)))
        return keys

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.count_nonzero(a == b)) / len(a)

    def best_match(self, signature: np.ndarray, candidates: dict[int, bytes]) -> NearDuplicate | None:
        best: NearDuplicate | None = None
        for article_id, stored in candidates.items():
            score = self.similarity(signature, np.frombuffer(stored, dtype=np.uint64))
            if score >= self.settings.near_duplicate_threshold and (best is None or score > best.similarity):
                best = NearDuplicate(article_id, score)
        return best


def _rows_per_band(threshold: float, num_perm: int) -> int:
    """The most rows per band (fewest spurious candidates) that still finds a pair at the threshold
    with probability 0.99; e.g. threshold 0.8 with 128 permutations gives 21 bands of 6 rows."""
    best = 1
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= 0.99:
            best = rows
    return best
