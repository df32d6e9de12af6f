"""Articles into incidents: features, the learned article-to-incident score, online clustering with
refinement, and the run over the store (`brief cluster`).

An article is scored against (a sample of) an incident's members on eighteen pair features: dense
cross-lingual similarity of title, lead and body; TF-IDF similarity of terms; overlap and Jaccard of
canonical entities; the time between their dates (published and mentioned); two flags for "no
entities" and "no dates"; agreement and conflict of the incident types named in title and lead
(ransomware, DDoS, data theft, ...: a bilingual lexicon that skips negated mentions), conflicting
threat actors; and the specifics that tell two similar events apart: TF-IDF similarity of entity ids
and years alone, and conflicting specifics (argument compatibility, as in event coreference): both
articles name a person, place, organisation, year or number with a unit in title or lead, and neither
names the other's anywhere. A logistic regression over these (models/clustering/weights.json, with
how it was trained) gives the probability that two articles report one incident. Each article joins
the most probable of the incidents nearest in an approximate nearest-neighbour index (the mean
probability against a sample of members), or opens its own. Where that choice was close, refinement
clusters the neighbourhood again from scratch: average linkage over every pair of the recent members
of the contested incident and its nearest ones. So an early mistake made on little evidence is undone
once the later reports are in, and an incremental run ends where one batch over the same articles
would, while a neighbourhood nobody contests costs nothing more.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from itertools import combinations
from pathlib import Path

import hnswlib
import numpy as np

from incident_brief.errors import ModelError

FEATURES = (
    "dense_title",
    "dense_lead",
    "dense_body",
    "lexical",
    "entity_overlap",
    "entity_jaccard",
    "entity_missing",
    "time",
    "time_missing",
    "type_same",
    "type_conflict",
    "actor_conflict",
    "specific",
    "person_conflict",
    "place_conflict",
    "organisation_conflict",
    "year_conflict",
    "number_conflict",
)
# Specifics are kept apart from the entities in the stored entity list by these prefixes.
YEAR_PREFIX = "year:"
NUMBER_PREFIX = "number:"
LEAD_PREFIX = "lead:"  # lead:<kind>:<specific>: a specific named in title or lead
SPECIFIC_KINDS = {"PER": "person", "LOC": "place", "ORG": "organisation"}  # entity label -> kind
# Version of the stored article features (terms, entity keys, dates: article_features). Bump it when how
# they are computed changes, so that `brief cluster` describes every article again (without re-embedding).
# "2": incident-type terms (type:x) and actor entities (actor:x). "3": negated incident types are not
# types; specifics (years, numbers with units, what title and lead name: year:, number:, lead:).
FEATURES_VERSION = "3"
LEAD_CHARS = 600
MAX_TERMS = 300  # the article's most frequent terms: all of a news article's, bounded for a 1 MB page
ENTITY_TERM_WEIGHT = 2  # an entity id counts as a term occurring this often
ENTITY_TERM_PREFIX = "ent:"
TIME_SCALE_DAYS = 7.0  # time feature: exp(-days / scale) between the closest dates
REINDEX_COSINE = 0.995  # an incident is re-indexed when its centroid moved further than this
MEMBER_SAMPLE = 8  # members an article is compared with per candidate incident
NEIGHBOURHOOD = 5  # incidents refinement clusters again together: a contested one, its rivals, its nearest
POOL_MEMBERS = 24  # the most recent members of each that it clusters again (older ones stay put)
PAIR_CACHE = 500_000  # pair probabilities kept between refinements (contested neighbourhoods recur)
_TOKEN = re.compile(r"[^\W\d_][\w'-]{2,}|\d{4}")  # words of 3+ characters, and years
_CLAUSE_BREAK = re.compile(r"[.;:!?,()\n]|\s[-–]\s")
_WORD_REST = re.compile(r"[\w'-]*")
NEGATION_WORDS = 3  # a negation cue this many words before an incident type's mention negates it
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
TYPE_PREFIX = "type:"  # an incident type travels among an article's terms, an actor among its entities
ACTOR_PREFIX = "actor:"


@dataclass(frozen=True)
class Weights:
    """The learned score: logistic regression over FEATURES, and the decision thresholds."""

    coefficients: tuple[float, ...]
    intercept: float
    threshold: float  # an article joins its best incident at this probability or above
    merge_threshold: float  # refinement joins two clusters whose mean pair probability is at least this
    contest_threshold: float  # an incident an article did not join but reached this is contested

    @classmethod
    def load(cls, path: str | Path | None = None) -> Weights:
        source = Path(path) if path else files("incident_brief") / "models" / "clustering" / "weights.json"
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
            if tuple(data["features"]) != FEATURES:
                raise ValueError(f"features {data['features']} are not {list(FEATURES)}")
            return cls(
                tuple(float(c) for c in data["coefficients"]),
                float(data["intercept"]),
                float(data["threshold"]),
                float(data["merge_threshold"]),
                float(data["contest_threshold"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(
                f"{source}: not usable clustering weights ({exc}); reinstall incident-brief or "
                "write new ones with benchmarks/clustering_ecb.py --write-weights"
            ) from None

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ np.asarray(self.coefficients) + self.intercept)))


@dataclass
class ArticleFeatures:
    """What clustering knows of one article (stored in article_features)."""

    id: int
    vectors: np.ndarray  # (3, dimension): title, lead, body; L2-normalised
    terms: dict[str, float]  # TF-IDF weights, L2-normalised
    entities: frozenset[str]
    dates: np.ndarray  # day ordinals, sorted
    key: str = ""  # the article's url_key: seeds the id of an incident it founds
    title: str = ""
    published: str | None = None
    language: str | None = None
    duplicate_of: int | None = None
    analysed: bool = True  # False: no analysis yet, so no entities and no mentioned dates
    described: bool = True  # False: vectors and the article's own fields only (Clusterer.describe)
    types: frozenset[str] = field(init=False)  # incident types named in title and lead
    causes: frozenset[str] = field(init=False)  # the types less effects: only these can conflict
    actors: frozenset[str] = field(init=False)  # threat actors the analysis linked
    specifics: frozenset[str] = field(init=False)  # entity keys, years and numbers it names anywhere
    leads: dict[str, frozenset[str]] = field(init=False)  # kind -> specifics named in title or lead
    specific_terms: dict[str, float] = field(init=False)  # TF-IDF of entity ids and years, L2-normalised

    def __post_init__(self) -> None:
        # Types and actors are stored with the terms and entities (one row per article); they are
        # separated here so that lexical and entity similarity stay what they were.
        self.types = frozenset(t[len(TYPE_PREFIX) :] for t in self.terms if t.startswith(TYPE_PREFIX))
        self.causes = self.types - _lexicon().effects if self.types else frozenset()
        self.actors = frozenset(e[len(ACTOR_PREFIX) :] for e in self.entities if e.startswith(ACTOR_PREFIX))
        if self.types:
            terms = {t: w for t, w in self.terms.items() if not t.startswith(TYPE_PREFIX)}
            norm = math.sqrt(sum(w * w for w in terms.values())) or 1.0
            self.terms = {t: w / norm for t, w in terms.items()}
        leads: dict[str, set[str]] = {}
        extra = set()
        for entry in self.entities:
            if entry.startswith(LEAD_PREFIX):
                kind, _, specific = entry[len(LEAD_PREFIX) :].partition(":")
                leads.setdefault(kind, set()).add(specific)
            elif entry.startswith((YEAR_PREFIX, NUMBER_PREFIX)):
                extra.add(entry)
        if self.actors or leads or extra:
            self.entities = frozenset(
                e
                for e in self.entities
                if not e.startswith((ACTOR_PREFIX, LEAD_PREFIX, YEAR_PREFIX, NUMBER_PREFIX))
            )
        self.specifics = self.entities | extra
        self.leads = {kind: frozenset(values) for kind, values in leads.items()}
        specific = {t: w for t, w in self.terms.items() if t.startswith(ENTITY_TERM_PREFIX) or t.isdigit()}
        norm = math.sqrt(sum(w * w for w in specific.values())) or 1.0
        self.specific_terms = {t: w / norm for t, w in specific.items()}


@dataclass
class Incident:
    """An incident: its members and the sum of their vectors (its centroid in the index)."""

    id: str
    members: list[int] = field(default_factory=list)
    vector_sum: np.ndarray | None = None
    lock: str | None = None  # an analyst fixed some members to this id

    def add(self, article: ArticleFeatures, sign: int = 1) -> None:
        if sign > 0:
            self.members.append(article.id)
        else:
            self.members.remove(article.id)
        vectors = article.vectors.astype(np.float32) * sign
        self.vector_sum = vectors if self.vector_sum is None else self.vector_sum + vectors

    def centroid(self) -> np.ndarray:
        """One unit vector for the nearest-neighbour index: the mean of title, lead and body."""
        vector = self.vector_sum.sum(axis=0)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def sample(self) -> list[int]:
        """Up to MEMBER_SAMPLE members, evenly spread over the incident's history, newest included: an
        article is scored against these, so the cost stays flat however large the incident grows."""
        members = self.members
        if len(members) <= MEMBER_SAMPLE:
            return list(members)
        step = len(members) / MEMBER_SAMPLE
        return [members[len(members) - 1 - int(k * step)] for k in range(MEMBER_SAMPLE)]


def pair_features(a: ArticleFeatures, b: ArticleFeatures) -> np.ndarray:
    """FEATURES of two articles (symmetric)."""
    dense = np.einsum("ij,ij->i", a.vectors, b.vectors, dtype=np.float32)
    lexical = _cosine(a.terms, b.terms)
    overlap = jaccard = 0.0
    entity_missing = 1.0
    if a.entities and b.entities:
        entity_missing = 0.0
        shared = len(a.entities & b.entities)
        overlap = shared / min(len(a.entities), len(b.entities))
        jaccard = shared / len(a.entities | b.entities)
    time, time_missing = 0.0, 1.0
    if len(a.dates) and len(b.dates):
        days = int(np.min(np.abs(a.dates[:, None] - b.dates[None, :])))
        time, time_missing = math.exp(-days / TIME_SCALE_DAYS), 0.0
    # Unknown (either side names no type or no actor) reads as neither agreement nor conflict.
    type_same = type_conflict = actor_conflict = 0.0
    if a.types and b.types:
        type_same = len(a.types & b.types) / len(a.types | b.types)
        type_conflict = float(bool(a.causes and b.causes and _lexicon().conflicting(a.causes, b.causes)))
    if a.actors and b.actors:
        actor_conflict = float(not a.actors & b.actors)
    conflicts = dict.fromkeys(CONFLICT_KINDS, 0.0)
    # Argument compatibility: both name a kind of specific in title or lead, and neither names the
    # other's anywhere (two earthquakes in different places, two elections in different years). Names
    # are keys, which differ across languages (München, Munich): then only years and numbers count.
    same_language = a.language == b.language or not (a.language and b.language)
    for kind in a.leads.keys() & b.leads.keys():
        if (same_language or kind in LANGUAGE_FREE_KINDS) and (
            a.leads[kind].isdisjoint(b.specifics) and b.leads[kind].isdisjoint(a.specifics)
        ):
            conflicts[kind] = 1.0
    return np.array(
        [
            *dense,
            lexical,
            overlap,
            jaccard,
            entity_missing,
            time,
            time_missing,
            type_same,
            type_conflict,
            actor_conflict,
            _cosine(a.specific_terms, b.specific_terms),
            *conflicts.values(),
        ],
        dtype=np.float64,
    )


CONFLICT_KINDS = ("person", "place", "organisation", "year", "number")
LANGUAGE_FREE_KINDS = frozenset({"year", "number"})


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(w * large[t] for t, w in small.items() if t in large)


class Clusterer:
    """Online clustering over articles in arrival order, with locks (analyst decisions) respected.

    Each article joins the most probable of its nearest incidents, or opens its own. Where that choice
    was close (an incident it did not join reached `contest_threshold`), the neighbourhood is
    contested: refinement clusters the recent members of its incidents again from scratch (average
    linkage over all their pairs). `locks` maps article ids to the incident id an analyst fixed them
    to: locked articles are never moved, and articles bound to different locked ids (locked, or in an
    incident with locked members) never meet. Ids of new incidents come from `new_id(article, taken)`;
    an incident keeps its id as it grows, re-formed clusters are named by `_name`.
    """

    def __init__(
        self,
        weights: Weights,
        *,
        dimension: int,
        candidates: int = 5,
        locks: dict[int, str] | None = None,
        new_id: Callable[[ArticleFeatures, set[str]], str] | None = None,
        describe: Callable[[list[int]], dict[int, ArticleFeatures]] | None = None,
    ) -> None:
        self.weights = weights
        self.describe = describe  # the full features of articles restored undescribed
        self.candidates = candidates
        self.locks = dict(locks or {})
        self.new_id = new_id or default_incident_id
        self.articles: dict[int, ArticleFeatures] = {}
        self.incidents: dict[str, Incident] = {}
        self.assignment: dict[int, str] = {}
        self.followers: dict[int, list[int]] = {}  # original -> duplicates that follow it
        self.contested: dict[str, set[str]] = {}  # incident -> the rivals of a close call refinement settles
        self._pairs: dict[tuple[int, int], float] = {}  # (article, article) -> probability
        self._labels: dict[str, int] = {}
        self._by_label: dict[int, str] = {}
        self._next_label = 0
        self._indexed: dict[str, np.ndarray] = {}  # the centroid each incident is indexed under
        self._index = hnswlib.Index(space="ip", dim=dimension)
        self._index.init_index(max_elements=1024, ef_construction=100, M=16)
        self._index.set_ef(max(64, 2 * candidates))

    # Building

    def restore(self, articles: Iterable[tuple[ArticleFeatures, str]]) -> None:
        """Put articles back where an earlier run placed them (no scoring), indexing each incident once."""
        for article, incident_id in articles:
            self._place(article, incident_id, index=False)
        for incident in self.incidents.values():
            self._index_incident(incident, force=True)

    def add(self, article: ArticleFeatures) -> str:
        """Assign a new article; returns its incident id."""
        original = article.duplicate_of
        if original is not None and original in self.assignment and article.id not in self.locks:
            self.articles[article.id] = article
            self.followers.setdefault(original, []).append(article.id)
            self.assignment[article.id] = self.assignment[original]
            return self.assignment[article.id]
        if article.id in self.locks:
            return self._place(article, self.locks[article.id])
        probabilities = self.probabilities(article)
        best = max(probabilities, key=probabilities.get, default=None)
        if best is not None and probabilities[best] < self.weights.threshold:
            best = None
        placed = self._place(article, best)
        for rival in {c for c, p in probabilities.items() if p >= self.weights.contest_threshold} - {placed}:
            self.contested.setdefault(placed, set()).add(rival)
            self.contested.setdefault(rival, set()).add(placed)
        return placed

    def probabilities(self, article: ArticleFeatures) -> dict[str, float]:
        """The probability that the article belongs to each of its nearest incidents: the mean of its
        pair probabilities with a sample of each."""
        samples = {
            c: self.incidents[c].sample() for c in self.nearest(article.vectors.mean(axis=0), self.candidates)
        }
        self._describe([m for members in samples.values() for m in members])
        return {c: self.linkage(article, members) for c, members in samples.items()}

    def linkage(self, article: ArticleFeatures, members: list[int]) -> float:
        """Average linkage: the mean pair probability of the article and the members (described)."""
        rows = [pair_features(article, self.articles[m]) for m in members]
        return float(self.weights.probability(np.vstack(rows)).mean()) if rows else 0.0

    def nearest(self, vector: np.ndarray, k: int) -> list[str]:
        k = min(k, len(self._labels))
        if k <= 0:
            return []
        norm = float(np.linalg.norm(vector))
        labels, _ = self._index.knn_query((vector / max(norm, 1e-12)).astype(np.float32), k=k)
        return [self._by_label[int(label)] for label in labels[0] if int(label) in self._by_label]

    def _describe(self, article_ids: list[int]) -> None:
        """Replace undescribed articles among these with their full features, in one call."""
        missing = [i for i in article_ids if not self.articles[i].described]
        if missing:
            self.articles.update(self.describe(missing))

    def _place(self, article: ArticleFeatures, incident_id: str | None, index: bool = True) -> str:
        if incident_id is None:
            incident_id = self.new_id(article, set(self.incidents))
        incident = self.incidents.get(incident_id)
        if incident is None:
            incident = self.incidents[incident_id] = Incident(incident_id)
        if self.locks.get(article.id) == incident_id:
            incident.lock = incident_id
        self.articles[article.id] = article
        incident.add(article)
        self.assignment[article.id] = incident_id
        if index:
            self._index_incident(incident)
        return incident_id

    def _index_incident(self, incident: Incident, force: bool = False) -> None:
        """(Re-)index an incident's centroid; a grown incident only once its centroid has moved, since
        updating an element of the graph costs about a millisecond."""
        label = self._labels.get(incident.id)
        centroid = incident.centroid()
        if label is not None and not force and float(centroid @ self._indexed[incident.id]) >= REINDEX_COSINE:
            return
        self._indexed[incident.id] = centroid
        if label is None:
            label = self._next_label
            self._next_label += 1
            if label >= self._index.get_max_elements():
                self._index.resize_index(2 * self._index.get_max_elements())
            self._labels[incident.id] = label
            self._by_label[label] = incident.id
        self._index.add_items(centroid[None, :].astype(np.float32), [label])

    def _drop_incident(self, incident_id: str) -> None:
        label = self._labels.pop(incident_id)
        del self._indexed[incident_id]
        del self._by_label[label]
        self._index.mark_deleted(label)
        del self.incidents[incident_id]

    def _move(self, article_id: int, target: str) -> None:
        """Move an article (and the duplicates following it, and theirs) into `target` (created if new)."""
        article = self.articles[article_id]
        source = self.incidents[self.assignment[article_id]]
        source.add(article, -1)
        if not source.members:
            self._drop_incident(source.id)
        else:
            self._index_incident(source)
        self._place(article, target)
        following = list(self.followers.get(article_id, []))
        while following:
            follower = following.pop()
            self.assignment[follower] = target
            following.extend(self.followers.get(follower, []))

    # Refinement

    def refine(self, touched: Iterable[str] = ()) -> int:
        """Cluster the neighbourhoods of the contested incidents (with their rivals) and of `touched`
        (incidents whose articles were described anew) again; returns how many articles changed
        incident."""
        contested, self.contested = self.contested, {}
        for incident_id in touched:
            contested.setdefault(incident_id, set())
        moved, done = 0, set()
        for seed in sorted(contested):
            rivals = [r for r in sorted(contested[seed]) if r in self.incidents]
            if seed not in self.incidents or {seed, *rivals} <= done:
                continue
            # Neighbours already re-clustered in this pass are left as they are now; rivals are not.
            nearest = [
                c for c in self.nearest(self.incidents[seed].centroid(), NEIGHBOURHOOD) if c not in done
            ]
            group = list(dict.fromkeys([seed, *rivals, *nearest]))[: max(NEIGHBOURHOOD, 1 + len(rivals))]
            changed, result = self._recluster(group)
            moved += changed
            done |= set(group) | result
        return moved

    def _recluster(self, group: list[str]) -> tuple[int, set[str]]:
        """Cluster the recent members of `group`'s incidents again. Older members stay where they
        are, unless every recent member of their incident went to one other incident (a merge): then
        they follow. Returns how many articles moved and the incident ids the pool ends in."""
        pool = [m for incident_id in group for m in self.incidents[incident_id].members[-POOL_MEMBERS:]]
        clusters = average_linkage(
            self._pair_probabilities(pool),
            self.weights.merge_threshold,
            [self.locks.get(m) for m in pool],
            pair_threshold=self.weights.threshold,
            apart=[self.incidents[self.assignment[m]].lock for m in pool],
        )
        names = self._name(clusters, pool)
        destinations: dict[str, set[str]] = {}
        for cluster, name in zip(clusters, names, strict=True):
            for k in cluster:
                destinations.setdefault(self.assignment[pool[k]], set()).add(name)
        moved = 0
        for cluster, name in zip(clusters, names, strict=True):
            for k in cluster:
                if self.assignment[pool[k]] != name:
                    self._move(pool[k], name)
                    moved += 1
        for incident_id, targets in destinations.items():
            incident = self.incidents.get(incident_id)
            if incident is not None and len(targets) == 1 and incident_id not in targets:
                (target,) = targets
                for article_id in [m for m in incident.members if m not in self.locks]:
                    self._move(article_id, target)
                    moved += 1
        return moved, set(names)

    def _pair_probabilities(self, pool: list[int]) -> np.ndarray:
        """The probability of every pair of the pool (zero diagonal), scoring only pairs not cached."""
        self._describe(pool)
        probability = np.zeros((len(pool), len(pool)))
        missing, rows = [], []
        for a in range(len(pool)):
            for b in range(a + 1, len(pool)):
                key = (min(pool[a], pool[b]), max(pool[a], pool[b]))
                known = self._pairs.get(key)
                if known is None:
                    missing.append((a, b, key))
                    rows.append(pair_features(self.articles[pool[a]], self.articles[pool[b]]))
                else:
                    probability[a, b] = probability[b, a] = known
        if rows:
            if len(self._pairs) + len(rows) > PAIR_CACHE:
                self._pairs.clear()
            for (a, b, key), value in zip(missing, self.weights.probability(np.vstack(rows)), strict=True):
                probability[a, b] = probability[b, a] = self._pairs[key] = float(value)
        return probability

    def _name(self, clusters: list[list[int]], pool: list[int]) -> list[str]:
        """Incident ids for re-formed clusters. A cluster holding locked articles takes their lock's
        id, one holding members of an incident an analyst locked that incident's id. Otherwise an
        incident's id stays with its founding article where that is in the pool, else it goes to the
        cluster holding most of its articles; a cluster holding several incidents' (a merge) keeps the
        one whose founder it holds, else the one it holds most of, else the oldest. A cluster with none
        gets a new id from its earliest article."""
        names: list[str | None] = []
        for cluster in clusters:
            bound = [
                self.locks.get(pool[k]) or self.incidents[self.assignment[pool[k]]].lock for k in cluster
            ]
            names.append(next((lock for lock in bound if lock), None))
        age = {incident_id: n for n, incident_id in enumerate(self.incidents)}  # creation order
        claims = []
        for c, cluster in enumerate(clusters):
            held = Counter(self.assignment[pool[k]] for k in cluster)
            members = {pool[k] for k in cluster}
            for incident_id, count in held.items():
                founder = self.incidents[incident_id].members[0]
                claims.append((founder not in members, -count, age[incident_id], c, incident_id))
        taken = {name for name in names if name}
        for *_, c, incident_id in sorted(claims):
            if names[c] is None and incident_id not in taken:
                names[c] = incident_id
                taken.add(incident_id)
        for c, cluster in enumerate(clusters):
            if names[c] is None:
                earliest = min(
                    (self.articles[pool[k]] for k in cluster), key=lambda a: (a.published or "9999", a.id)
                )
                names[c] = self.new_id(earliest, set(self.incidents) | taken)
                taken.add(names[c])
        return names


def average_linkage(
    probability: np.ndarray,
    threshold: float,
    locks: list[str | None],
    pair_threshold: float | None = None,
    apart: list[str | None] | None = None,
) -> list[list[int]]:
    """Agglomerative clustering with average linkage over a matrix of pair probabilities: the two
    clusters with the highest mean probability between them merge while it is at least `threshold`;
    two single items need `pair_threshold` (default: the same), the evidence on which one would have
    joined the other online, since one pair is a noisier mean than many. Items locked to one id start
    together; items bound to different ids (locked, or members of incidents locked to them: `apart`)
    never meet."""
    pair_threshold = threshold if pair_threshold is None else pair_threshold
    bound = [lock or other for lock, other in zip(locks, apart or [None] * len(locks), strict=True)]
    groups: dict[str, list[int]] = {}
    clusters: list[list[int]] = []
    for k, lock in enumerate(locks):
        if lock is None:
            clusters.append([k])
        elif lock in groups:
            groups[lock].append(k)
        else:
            groups[lock] = [k]
            clusters.append(groups[lock])
    if not clusters:
        return []
    size = np.array([len(c) for c in clusters], dtype=np.float64)
    indicator = np.zeros((len(clusters), len(locks)))
    for c, cluster in enumerate(clusters):
        indicator[c, cluster] = 1.0
    link = indicator @ probability @ indicator.T / np.outer(size, size)
    labels = [bound[c[0]] for c in clusters]
    for a, b in combinations(range(len(clusters)), 2):
        if labels[a] and labels[b] and labels[a] != labels[b]:
            link[a, b] = link[b, a] = -1.0  # bound to different ids
    np.fill_diagonal(link, -1.0)
    alive = np.ones(len(clusters), dtype=bool)
    while alive.sum() > 1:
        single = size == 1
        needed = np.where(np.outer(single, single), pair_threshold, threshold)
        masked = np.where(np.outer(alive, alive) & (link >= needed), link, -1.0)
        a, b = np.unravel_index(int(np.argmax(masked)), masked.shape)
        if masked[a, b] < 0:
            break
        merged = (size[a] * link[a] + size[b] * link[b]) / (size[a] + size[b])
        merged[np.minimum(link[a], link[b]) < 0] = -1.0  # a cannot-link holds for the merged cluster
        link[a], link[:, a] = merged, merged
        link[a, a] = -1.0
        size[a] += size[b]
        clusters[a] = clusters[a] + clusters[b]
        alive[b] = False
    return [sorted(clusters[c]) for c in range(len(clusters)) if alive[c]]


def default_incident_id(article: ArticleFeatures, taken: set[str]) -> str:
    """inc- and six hex digits of a hash of the founding article's URL: short, typeable, and the same
    when a rebuild founds the incident with the same article; longer only on a collision."""
    digest = hashlib.sha1((article.key or str(article.id)).encode("utf-8")).hexdigest()
    for length in range(6, 41, 2):
        candidate = f"inc-{digest[:length]}"
        if candidate not in taken:
            return candidate
    raise AssertionError("sha1 collision over 40 hex digits")


# Features of an article


@cache
def stop_words() -> frozenset[str]:
    """English, German and French stop words, loaded on first use: importing spacy.lang.fr builds its
    tokenizer exceptions (about 2 s), which `brief incidents` and the exports do not need."""
    from spacy.lang.de.stop_words import STOP_WORDS as DE_STOP
    from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP
    from spacy.lang.fr.stop_words import STOP_WORDS as FR_STOP

    return frozenset(EN_STOP | DE_STOP | FR_STOP)


def article_terms(title: str, text: str, entities: Iterable[str] = ()) -> Counter:
    """Term counts: lower-cased words of three or more letters that are not stop words, years, the
    entity ids (`ent:` and the key), which are the same in every language, and the incident types of
    title and lead (`type:`, read back into ArticleFeatures.types)."""
    words = (m.group().lower() for m in _TOKEN.finditer(f"{title}\n{text}"))
    counts = Counter(dict(Counter(w for w in words if w not in stop_words()).most_common(MAX_TERMS)))
    counts.update(
        {
            f"{ENTITY_TERM_PREFIX}{key}": ENTITY_TERM_WEIGHT
            for key in entities
            if not key.startswith(ACTOR_PREFIX)
        }
    )
    # The headline says what happened; the lead, which often recalls earlier incidents, only where the
    # headline names no cause (only an effect such as an outage, or nothing).
    kinds = incident_types(title)
    if not kinds - _lexicon().effects:
        kinds |= incident_types(lead_of(text))
    counts.update({f"{TYPE_PREFIX}{kind}": 1 for kind in kinds})
    return counts


@dataclass(frozen=True)
class IncidentTypeLexicon:
    """Security event types and the German, English and French words that name them
    (nlp/data/incident_types.json), with the cues that negate a mention ("no ransomware was involved",
    "kein Ransomware-Angriff")."""

    patterns: dict[str, re.Pattern]
    effects: frozenset[str]  # what an incident caused (an outage), which is no conflict with its cause
    compatible: frozenset[frozenset[str]]  # pairs of causes one incident often has together
    negated_before: re.Pattern  # a cue among the few words before a mention
    negated_after: re.Pattern  # a cue among the few words after it
    not_negating: re.Pattern  # phrases with a cue word that negate nothing ("not only")

    @classmethod
    def load(cls) -> IncidentTypeLexicon:
        data = json.loads(
            (files("incident_brief") / "nlp" / "data" / "incident_types.json").read_text("utf-8")
        )
        patterns = {
            kind: re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE)
            for kind, words in data["types"].items()
        }

        def cues(words: list[str]) -> re.Pattern:
            return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)

        negation = data["negation"]
        return cls(
            patterns,
            frozenset(data["effects"]),
            frozenset(frozenset(pair) for pair in data["compatible"]),
            cues(negation["before"]),
            cues(negation["after"]),
            cues(negation["not_negating"]),
        )

    def match(self, text: str) -> frozenset[str]:
        return frozenset(
            kind
            for kind, pattern in self.patterns.items()
            if any(not self._negated(text, m.start(), m.end()) for m in pattern.finditer(text))
        )

    def conflicting(self, causes: frozenset[str], others: frozenset[str]) -> bool:
        """Two sets of causes conflict when they share none and no pair of them is compatible."""
        return not causes & others and not any(
            frozenset((a, b)) in self.compatible for a in causes for b in others
        )

    def _negated(self, text: str, start: int, end: int) -> bool:
        """Whether a cue in the same clause, at most NEGATION_WORDS before (or one more after), negates
        the mention text[start:end]."""
        before = _CLAUSE_BREAK.split(text[max(0, start - 80) : start])[-1].split()[-NEGATION_WORDS:]
        rest = _CLAUSE_BREAK.split(text[end : end + 80])[0]
        after = rest[_WORD_REST.match(rest).end() :].split()[: NEGATION_WORDS + 1]  # past the mention's word
        before_text = self.not_negating.sub(" ", " ".join(before))
        return bool(self.negated_before.search(before_text) or self.negated_after.search(" ".join(after)))


@cache
def _lexicon() -> IncidentTypeLexicon:
    return IncidentTypeLexicon.load()


def incident_types(text: str) -> frozenset[str]:
    """The incident types a text names."""
    return _lexicon().match(text)


def tfidf(counts: dict[str, int], df: dict[str, int], documents: int) -> dict[str, float]:
    weights = {
        term: (1.0 + math.log(n)) * (math.log((documents + 1) / (df.get(term, 0) + 1)) + 1.0)
        for term, n in counts.items()
    }
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {term: w / norm for term, w in weights.items()}


def analysis_entities(analysis: dict | None) -> list[str]:
    """Language-independent entity keys: the catalog id where there is one, else the canonical name."""
    if not analysis:
        return []
    keys = {_entity_key(entity) for entity in analysis.get("entities", [])}
    actors = {
        str(actor.get("kb_id") or actor.get("canonical") or actor.get("name") or "").casefold()
        for actor in analysis.get("actors", [])
    }
    keys |= actors | {f"{ACTOR_PREFIX}{actor}" for actor in actors if len(actor) > 1}
    return sorted(k for k in keys if len(k) > 1)


def analysis_specifics(analysis: dict | None, title: str, text: str) -> list[str]:
    """What tells two similar events apart, as entity-list entries: the years and the numbers with a
    unit (6.1 magnitude, 12 people) the article names, and what its title and lead name of each kind
    (lead:person:..., lead:place:..., lead:organisation:..., lead:year:..., lead:number:...)."""
    lead = f"{title}\n{lead_of(text)}"
    found: set[str] = set()

    def add(kind: str, specific: str, mention: str | None, named: bool = False) -> None:
        if not named:  # entity keys are in the entity list already
            found.add(specific)
        if mention and mention in lead:
            found.add(f"{LEAD_PREFIX}{kind}:{specific}")

    for year in _YEAR.findall(f"{title}\n{text}"):
        add("year", f"{YEAR_PREFIX}{year}", year)
    for mention in (analysis or {}).get("dates", []):
        value = mention.get("value")
        if mention.get("type") == "DATE" and isinstance(value, str) and _YEAR.match(value):
            add("year", f"{YEAR_PREFIX}{value[:4]}", mention.get("text"))
    for amount in (analysis or {}).get("money", []):
        if amount.get("amount") is not None and amount.get("unit"):
            unit = str(amount["unit"]).casefold()
            add("number", f"{NUMBER_PREFIX}{amount['amount']} {unit}", amount.get("text"))
    for entity in (analysis or {}).get("entities", []):
        kind, key = SPECIFIC_KINDS.get(entity.get("label")), _entity_key(entity)
        if kind and len(key) > 1:
            add(kind, key, entity.get("text"), named=True)
    return sorted(found)


def _entity_key(entity: dict) -> str:
    return (entity.get("kb_id") or (entity.get("canonical") or entity.get("text") or "")).casefold().strip()


def analysis_dates(analysis: dict | None, published: str | None, today: date | None = None) -> list[str]:
    """The publication date and the calendar dates (day or month) the article mentions; a publication
    date in the future is not trusted."""
    today = today or datetime.now(UTC).date()
    found = set()
    if published and _ISO_DAY.match(published[:10]):
        day = _parse_day(published[:10])
        if day is not None and day <= today + timedelta(days=1):
            found.add(day.isoformat())
    for mention in (analysis or {}).get("dates", []):
        if mention.get("type") == "DATE" and isinstance(mention.get("value"), str):
            day = _parse_day(mention["value"])
            if day is not None:
                found.add(day.isoformat())
    return sorted(found)


def _parse_day(value: str) -> date | None:
    match = _ISO_DAY.match(value)
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 15)  # a month reads as its middle
    try:
        return date(year, month, day)
    except ValueError:
        return None


def day_ordinals(dates: Iterable[str]) -> np.ndarray:
    return np.array(sorted({date.fromisoformat(d).toordinal() for d in dates}), dtype=np.int64)


def lead_of(text: str) -> str:
    """The first paragraphs, up to LEAD_CHARS."""
    lead = ""
    for paragraph in text.split("\n"):
        if paragraph.strip():
            lead = f"{lead}\n{paragraph}" if lead else paragraph
            if len(lead) >= LEAD_CHARS:
                break
    return lead[: LEAD_CHARS * 2]
