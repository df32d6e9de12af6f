"""Convert the German NER training data to spaCy DocBin files.

GermEval 2014 (CC BY 4.0) comes as `token TAG` lines with BIOES tags on the outer entities. The project's
label set is PER/ORG/LOC/MISC: OTH becomes MISC, and the -deriv/-part tags ("deutschen", "EU-weit") become O
because the project's entities are names, not words derived from them. Sentences are grouped into
~10-sentence docs so the model sees some context across sentence boundaries, as in news text.

Output: `train/germeval.spacy` (+ `train/smartdata.spacy` with --smartdata) and `holdout.spacy`. The last
`--holdout` training sentences go to that separate file that spaCy's training loop uses to pick the best
checkpoint; the official dev split is never read here because it is the measurement (benchmarks/ner_de.py).

Optionally SmartData (DFKI, CC BY 4.0) is converted too: its person/organization/location mentions are mapped
to PER/ORG/LOC. SmartData does not annotate MISC-like names; it still helped on GermEval dev (MODEL_CARD.md).

    python models/recipes/de/prepare.py --data ../shared/data/ner --out build/ner-de/corpus --smartdata
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import biluo_tags_to_spans
from spacy.vocab import Vocab

GERMEVAL_LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "OTH": "MISC"}
# SmartData's fine-grained mention types that are names of the project's labels; everything else
# (dates, numbers, org-position, triggers ...) is not a GermEval-style named entity.
SMARTDATA_LABELS = {
    "person": "PER",
    "organization": "ORG",
    "organization-company": "ORG",
    "location": "LOC",
    "location-city": "LOC",
    "location-street": "LOC",
    "location-stop": "LOC",
    "location-route": "LOC",
}
SENTENCES_PER_DOC = 10


@dataclass(frozen=True)
class TaggedSentence:
    words: list[str]
    tags: list[str]  # BILUO tags with project labels


class DataError(ValueError):
    """A data file does not have the expected format."""


def map_germeval_tag(tag: str) -> str:
    """BIOES GermEval tag -> BILUO tag with project labels; -deriv/-part become O."""
    if tag == "O":
        return "O"
    prefix, _, label = tag.partition("-")
    if label.endswith(("DERIV", "PART", "deriv", "part")):
        return "O"
    if prefix not in {"B", "I", "E", "S"} or label.upper() not in GERMEVAL_LABELS:
        raise DataError(f"unknown GermEval tag {tag!r}")
    biluo_prefix = {"B": "B", "I": "I", "E": "L", "S": "U"}[prefix]
    return f"{biluo_prefix}-{GERMEVAL_LABELS[label.upper()]}"


def read_germeval_bioes(path: Path) -> Iterator[TaggedSentence]:
    """Sentences of a `token TAG` file with blank lines between sentences."""
    words: list[str] = []
    tags: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if words:
                    yield TaggedSentence(words, tags)
                words, tags = [], []
                continue
            token, sep, tag = line.rpartition(" ")
            if not sep or not token:
                raise DataError(f"{path}:{number}: expected 'token TAG', got {line!r}")
            # the few soft hyphens left in the copy; one token is nothing but a soft hyphen
            words.append(token.replace("\u00ad", "") or "-")
            tags.append(map_germeval_tag(tag))
    if words:
        yield TaggedSentence(words, tags)


def sentences_to_docs(vocab: Vocab, sentences: list[TaggedSentence]) -> Iterator[Doc]:
    """Group sentences into docs of SENTENCES_PER_DOC with sentence starts and entities set."""
    for start in range(0, len(sentences), SENTENCES_PER_DOC):
        group = sentences[start : start + SENTENCES_PER_DOC]
        words = [word for sentence in group for word in sentence.words]
        tags = [tag for sentence in group for tag in sentence.tags]
        sent_starts = [index == 0 for sentence in group for index in range(len(sentence.words))]
        doc = Doc(vocab, words=words, sent_starts=sent_starts)
        doc.ents = biluo_tags_to_spans(doc, tags)
        yield doc


def read_concatenated_json(path: Path) -> Iterator[dict]:
    """SmartData files hold JSON objects one after another (not a list, not one per line)."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        raw = stream.read()
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(raw) and raw[position].isspace():
            position += 1
        if position >= len(raw):
            return
        obj, position = decoder.raw_decode(raw, position)
        yield obj


def smartdata_docs(nlp: spacy.language.Language, path: Path) -> Iterator[Doc]:
    """SmartData documents tokenised with spaCy's German tokenizer, mentions aligned to tokens.

    Mentions that do not fall on token boundaries or that overlap a longer mention are dropped
    (outer entities only, as in GermEval).
    """
    for record in read_concatenated_json(path):
        text = record["text"]["string"]
        mentions = (record.get("conceptMentions") or {}).get("array") or []
        spans = sorted(
            (
                (m["span"]["start"], m["span"]["end"], SMARTDATA_LABELS[m["type"]])
                for m in mentions
                if m["type"] in SMARTDATA_LABELS
            ),
            key=lambda item: (item[0], -item[1]),
        )
        doc = nlp.make_doc(text)
        entities = []
        covered_until = -1
        for start, end, label in spans:
            if start < covered_until:
                continue
            span = doc.char_span(start, end, label=label)
            # a mention across a line break would teach the model whitespace-bounded entities
            if span is not None and not any(token.is_space for token in span):
                entities.append(span)
                covered_until = end
        doc.ents = entities
        yield doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/ner"))
    parser.add_argument("--out", type=Path, default=Path("build/ner-de/corpus"))
    parser.add_argument("--holdout", type=int, default=1000, help="training sentences kept for validation")
    parser.add_argument("--smartdata", action="store_true", help="also convert SmartData v1 train")
    args = parser.parse_args()

    nlp = spacy.blank("de")
    args.out.mkdir(parents=True, exist_ok=True)
    sentences = list(read_germeval_bioes(args.data / "germeval2014-train.bioes"))
    train, holdout = sentences[: -args.holdout], sentences[-args.holdout :]
    # spaCy's corpus reader takes every .spacy file in a folder: train/ holds all training sources
    for target, part in (
        (args.out / "train" / "germeval.spacy", train),
        (args.out / "holdout.spacy", holdout),
    ):
        docs = list(sentences_to_docs(nlp.vocab, part))
        target.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs, store_user_data=False).to_disk(target)
        print(f"{target}: {len(part)} sentences, {len(docs)} docs, {sum(len(d.ents) for d in docs)} entities")
    smartdata_target = args.out / "train" / "smartdata.spacy"
    if args.smartdata:
        docs = list(smartdata_docs(nlp, args.data / "smartdata" / "v1_20180119_train.json.gz"))
        DocBin(docs=docs, store_user_data=False).to_disk(smartdata_target)
        print(f"{smartdata_target}: {len(docs)} docs, {sum(len(d.ents) for d in docs)} entities")
    else:
        smartdata_target.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
