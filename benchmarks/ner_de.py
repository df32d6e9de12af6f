"""German NER quality and speed of the shipped pipeline on the GermEval 2014 development split.

Evaluation protocol:
- Data: ../shared/data/ner/germeval2014-dev.tsv (2,200 sentences; CC BY 4.0), never used for training.
- Gold: the outer entity column only; OTH is scored as MISC, -deriv/-part tags ("deutschen") count as no
  entity, matching how the model is trained (models/recipes/de/prepare.py).
- Input: each sentence is one Doc built from the gold tokens (so tokenisation errors are not scored); the
  whole pipeline runs on it.
- Scoring: an entity is correct only with exact token span and label; precision, recall and F1 per label and
  micro-averaged overall. Speed is words per second over the whole split, one process, after loading.

    python benchmarks/ner_de.py [--model PATH] [--data ../shared/data/ner/germeval2014-dev.tsv] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.tokens import Doc

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "models" / "pipelines" / "de"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ner" / "germeval2014-dev.tsv"
LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "OTH": "MISC"}

Entity = tuple[int, int, str]  # token start, token end (exclusive), label


@dataclass(frozen=True)
class Sentence:
    words: list[str]
    entities: set[Entity]


@dataclass(frozen=True)
class Score:
    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def bio_entities(tags: list[str]) -> set[Entity]:
    """Outer BIO tags -> entity spans; -deriv/-part and unknown labels are no entity."""
    entities: set[Entity] = set()
    start, label = None, None
    for index, tag in enumerate([*tags, "O"]):
        prefix, _, raw_label = tag.partition("-")
        mapped = LABELS.get(raw_label)  # "LOCderiv", "ORGpart" are not in LABELS
        continues = prefix == "I" and mapped is not None and mapped == label
        if start is not None and not continues:
            entities.add((start, index, label))
            start, label = None, None
        if mapped is not None and (prefix == "B" or (prefix == "I" and not continues)):
            start, label = index, mapped
    return entities


def read_germeval_tsv(path: Path) -> list[Sentence]:
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.startswith("#"):
                continue
            if not line.strip():
                if words:
                    sentences.append(Sentence(words, bio_entities(tags)))
                words, tags = [], []
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                raise ValueError(f"{path}:{number}: expected 'index, token, outer tag, inner tag'")
            words.append(parts[1].replace("\u00ad", "") or "-")
            tags.append(parts[2])
    if words:
        sentences.append(Sentence(words, bio_entities(tags)))
    return sentences


def load_pipeline(path: Path) -> spacy.language.Language:
    import incident_brief.nlp.subwords  # noqa: F401  (registers the architectures the pipeline references)

    return spacy.load(path)


def evaluate(nlp: spacy.language.Language, sentences: list[Sentence]) -> tuple[dict[str, Score], float]:
    docs = [Doc(nlp.vocab, words=sentence.words) for sentence in sentences]
    started = time.perf_counter()
    predicted_docs = list(nlp.pipe(docs, batch_size=64))
    seconds = time.perf_counter() - started
    counts: dict[str, Counter[str]] = {}
    for sentence, doc in zip(sentences, predicted_docs, strict=True):
        predicted = {(ent.start, ent.end, ent.label_) for ent in doc.ents}
        for name, entities in (("predicted", predicted), ("gold", sentence.entities)):
            for _, _, label in entities:
                counts.setdefault(label, Counter())[name] += 1
        for _, _, label in predicted & sentence.entities:
            counts[label]["true_positives"] += 1
    scores = {
        label: Score(count["true_positives"], count["predicted"], count["gold"])
        for label, count in counts.items()
    }
    scores["overall"] = Score(
        *(sum(getattr(s, f) for s in scores.values()) for f in Score.__dataclass_fields__)
    )
    words = sum(len(sentence.words) for sentence in sentences)
    return scores, words / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the benchmark needs the shared data folder)")
        return 0
    if not (args.model / "config.cfg").is_file():
        print(f"error: no spaCy pipeline at {args.model}", file=sys.stderr)
        return 2

    scores, words_per_second = evaluate(load_pipeline(args.model), read_germeval_tsv(args.data))
    if args.json:
        table = {
            label: {"p": s.precision, "r": s.recall, "f": s.f1, "gold": s.gold} for label, s in scores.items()
        }
        print(json.dumps({"scores": table, "words_per_second": round(words_per_second)}, indent=2))
        return 0
    print(f"model: {args.model}\ndata: {args.data}")
    print(f"{'label':<8} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}")
    for label in [*sorted(label for label in scores if label != "overall"), "overall"]:
        s = scores[label]
        print(f"{label:<8} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.gold:6d}")
    print(f"speed: {words_per_second:,.0f} words/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
