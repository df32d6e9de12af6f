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

from incident_brief.config import DedupSettings

_WORD = re.compile(r"\w+", re.UNICODE)
_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


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
    """MinHash signatures over word shingles, banded for locality-sensitive lookup in the store.

    The MinHash is the textbook one (Broder 1997) as datasketch computes it: 32-bit shingle hashes,
    `num_perm` universal hash functions (a*x + b) mod (2^61 - 1) from a fixed seed. It is written out
    here because datasketch imports scipy, which costs every collect process about 55 MB.
    """

    def __init__(self, settings: DedupSettings, *, seed: int = 1) -> None:
        self.settings = settings
        self.rows_per_band = _rows_per_band(settings.near_duplicate_threshold, settings.num_perm)
        self.bands = settings.num_perm // self.rows_per_band
        generator = np.random.RandomState(seed)
        self._a = generator.randint(1, int(_MERSENNE_PRIME), size=settings.num_perm, dtype=np.uint64)
        self._b = generator.randint(0, int(_MERSENNE_PRIME), size=settings.num_perm, dtype=np.uint64)

    def signature(self, text: str) -> np.ndarray:
        words = _WORD.findall(normalize_text(text))
        size = self.settings.shingle_size
        shingles = {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}
        hashes = np.fromiter(
            (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little") for s in shingles),
            dtype=np.uint64,
            count=len(shingles),
        )
        # uint64 arithmetic wraps on purpose: the universal hash family only needs it to be fixed.
        with np.errstate(over="ignore"):
            permuted = (hashes[:, None] * self._a + self._b) % _MERSENNE_PRIME & _MAX_HASH
        return permuted.min(axis=0)

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
