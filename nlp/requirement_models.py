"""The learned parts of `incident_requirements` (issue 5): a detector that adds requirements the rules
miss, and a control ranking that combines the concept lexicon with nearest labelled exemplars and with
the NIST control statements themselves.

Both read one multilingual USE vector per statement (nlp/embeddings.py), so German and English text
share the exemplars and the English control statements. Only statements the rules accept or that are
candidates (a cue, a cancelled cue or a security concept) are embedded, in one batch per Doc; the
embedder loads on the first such Doc, once per process.

Files, all written by models/recipes/requirements/train.py and models/recipes/controls/vectors.py:
- nlp/data/requirement_model.json: detector weights, threshold and ranking weights, with how they
  were obtained (grouped cross-validation over the tuning splits);
- nlp/data/requirement_exemplars.json + .npy: the labelled requirement sentences of the tuning splits
  (our own text, benchmarks/data/requirements) with their controls, and their vectors (float16);
- models/catalogs/nist80053-rev5.vectors.npy: one vector per control of the shipped catalog (float16).
The detector is a logistic regression; run time applies its weights with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from incident_brief.errors import ModelError
from incident_brief.models.catalogs import read_json_asset
from incident_brief.nlp.embeddings import Embedder, UseEmbedder

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_PATH = DATA_DIR / "requirement_model.json"
EXEMPLARS_PATH = DATA_DIR / "requirement_exemplars.json"
EXEMPLAR_VECTORS_PATH = DATA_DIR / "requirement_exemplars.npy"
CONTROL_VECTORS_PATH = (
    Path(__file__).resolve().parent.parent / "models" / "catalogs" / "nist80053-rev5.vectors.npy"
)

CUE_KINDS = ("directive", "modal", "volitional", "imperative", "importance", "nominal", "standard")
FEATURES = (
    *(f"cue:{kind}" for kind in CUE_KINDS),
    "cancelled",
    "question",
    "ruled_out",
    "complaint",
    "gate_concepts",
    "context_concepts",
    "quote",
    "speaker",
    "rules_pass",
    "german",
)
EXEMPLAR_RANK_STEP = 0.1  # an exemplar's first control votes most, like the lexicon's RANK_STEP


@dataclass(frozen=True)
class RankingWeights:
    lexicon: float
    exemplars: float
    controls: float
    neighbours: int  # k nearest exemplars
    width: float  # cosine below the best control at which a control's similarity score reaches 0


@dataclass(frozen=True)
class Detector:
    coef: np.ndarray  # FEATURES, then the USE vector
    intercept: float
    threshold: float

    def probability(self, features: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        z = np.hstack([features, vectors]) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def features(
    cue_kinds: set[str],
    cancelled: bool,
    question: bool,
    ruled_out: bool,
    complaint: bool,
    gate_concepts: int,
    context_concepts: int,
    quote: bool,
    speaker: bool,
    rules_pass: bool,
    language: str,
) -> np.ndarray:
    """The detector's rule features of one statement, in FEATURES order."""
    row = [float(kind in cue_kinds) for kind in CUE_KINDS]
    row += [float(cancelled), float(question), float(ruled_out), float(complaint)]
    row += [min(gate_concepts, 3) / 3, min(context_concepts, 3) / 3, float(quote), float(speaker)]
    row += [float(rules_pass), float(language == "de")]
    return np.asarray(row, dtype=np.float32)


def exemplar_votes(
    similarities: np.ndarray, controls: list[tuple[str, ...]], neighbours: int
) -> dict[str, float]:
    """Controls voted by the most similar exemplars, each vote its similarity, scaled to the best (1.0)."""
    votes: dict[str, float] = {}
    for j in np.argsort(-similarities)[:neighbours]:
        weight = max(float(similarities[j]), 0.0)
        for rank, control in enumerate(controls[j]):
            votes[control] = votes.get(control, 0.0) + weight * (1 - EXEMPLAR_RANK_STEP * rank)
    best = max(votes.values(), default=0.0)
    return {c: v / best for c, v in votes.items()} if best > 0 else {}


def control_similarities(
    similarities: np.ndarray, ids: list[str], width: float, top: int = 10
) -> dict[str, float]:
    """The controls whose statements are closest, 1.0 for the best, falling linearly to 0 at `width`
    below it (raw USE cosines bunch between 0.1 and 0.5, so only the gap to the best says much)."""
    order = np.argsort(-similarities)[:top]
    best = float(similarities[order[0]])
    return {ids[i]: max(0.0, 1 - (best - float(similarities[i])) / width) for i in order}


def combine(
    lexicon: dict[str, float], votes: dict[str, float], nearest: dict[str, float], weights: RankingWeights
) -> dict[str, float]:
    """The weighted sum, divided by the weights' sum so a score stays within [0, 1]."""
    ids = set(lexicon) | set(votes) | set(nearest)
    total = weights.lexicon + weights.exemplars + weights.controls
    return {
        c: (
            weights.lexicon * lexicon.get(c, 0.0)
            + weights.exemplars * votes.get(c, 0.0)
            + weights.controls * nearest.get(c, 0.0)
        )
        / total
        for c in ids
    }


class LearnedModels:
    """The detector, the exemplars and the control vectors; the embedder loads on first use."""

    def __init__(
        self,
        detector: Detector,
        weights: RankingWeights,
        exemplar_vectors: np.ndarray,
        exemplar_controls: list[tuple[str, ...]],
        control_vectors: np.ndarray,
        control_ids: list[str],
    ) -> None:
        self.detector = detector
        self.weights = weights
        self.exemplar_vectors = exemplar_vectors
        self.exemplar_controls = exemplar_controls
        self.control_vectors = control_vectors
        self.control_ids = control_ids
        self._embedder: Embedder | None = None

    @classmethod
    def load(
        cls,
        control_ids: list[str],
        model_path: Path = MODEL_PATH,
        exemplars_path: Path = EXEMPLARS_PATH,
        exemplar_vectors_path: Path = EXEMPLAR_VECTORS_PATH,
        control_vectors_path: Path = CONTROL_VECTORS_PATH,
    ) -> LearnedModels:
        model = read_json_asset(model_path, "requirement model")
        exemplars = read_json_asset(exemplars_path, "requirement exemplars")
        try:
            detector = model["detector"]
            ranking = model["ranking"]
            coef = np.asarray(detector["coef"], dtype=np.float32)
            built = Detector(coef, float(detector["intercept"]), float(detector["threshold"]))
            weights = RankingWeights(
                float(ranking["lexicon"]),
                float(ranking["exemplars"]),
                float(ranking["controls"]),
                int(ranking["neighbours"]),
                float(ranking["width"]),
            )
            exemplar_controls = [tuple(e["controls"]) for e in exemplars["exemplars"]]
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"requirement model malformed: {model_path}: missing or bad {error}") from None
        exemplar_vectors = _vectors(
            exemplar_vectors_path, "requirement exemplar vectors", len(exemplar_controls)
        )
        control_vectors = _vectors(control_vectors_path, "control vectors", len(control_ids))
        if coef.shape != (len(FEATURES) + exemplar_vectors.shape[1],):
            raise ModelError(
                f"requirement model malformed: {model_path}: detector has {coef.shape[0]} weights"
            )
        return cls(built, weights, exemplar_vectors, exemplar_controls, control_vectors, control_ids)

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            self._embedder = shared_embedder()
        return self._embedder.embed(texts)

    def rank(self, lexicon: dict[str, float], vector: np.ndarray) -> dict[str, float]:
        w = self.weights
        votes = exemplar_votes(_dot(self.exemplar_vectors, vector), self.exemplar_controls, w.neighbours)
        nearest = (
            control_similarities(_dot(self.control_vectors, vector), self.control_ids, w.width)
            if w.controls
            else {}
        )
        return combine(lexicon, votes, nearest, w)


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Cosines by einsum's own loops: right after the embedder's large products, a small BLAS call
    waits for BLAS's worker threads (measured ~5 ms instead of 0.06 ms on 2 busy cores)."""
    return np.einsum("ij,j->i", matrix, vector)


@cache
def shared_embedder() -> Embedder:
    """One USE model per process for all pipelines (German and English each have the component):
    116 MiB and 0.8 s to load, and it holds no state between calls."""
    return UseEmbedder()


def _vectors(path: Path, what: str, rows: int) -> np.ndarray:
    """float16 on disk, float32 in memory: numpy's float16 matrix products are slow."""
    try:
        vectors = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ModelError(f"{what} missing: {path} (reinstall incident-brief)") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"{what} unreadable: {path}: {str(error).splitlines()[0]}") from None
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        raise ModelError(f"{what} malformed: {path}: shape {vectors.shape}, expected {rows} rows")
    return vectors.astype(np.float32)
