"""English NER on MEANTIME: names (PER, ORG, LOC) found by our English pipeline, against the gold mentions.

    python benchmarks/ner_en.py [--data DIR] [--errors N]

The default DIR is ../shared/data/timex/meantime-en next to the checkout (120 English WikiNews
articles, NewsReader MEANTIME, CC BY 4.0). If it is missing, the script says so and exits with 0.

Gold: ENTITY_MENTION markables with syntactic_type NAM (proper-name mentions) whose ENTITY (linked by a
REFERS_TO relation) has ent_type PER, ORG or LOC. Other entity types (PRO, FIN, MIX) and our other
labels (MISC, PRODUCT and the security labels) are not scored. A prediction that exactly matches a
mention left out of the gold only because of its syntactic type (PRE.NAM "U.S." in "U.S. automaker",
an untyped "Canada"), with the same type, is neutral: neither right nor wrong.

Two matches, each giving precision, recall and F1 per label and micro-averaged over the three:
- exact: same character span and label;
- relaxed: a prediction counts as right when it overlaps a gold mention of its label, and a gold mention
  as found when a prediction of its label overlaps it. MEANTIME extents are whole noun phrases
  ("U.S. automaker Chrysler", "Chrysler President Jim Press"), so exact match understates a name tagger.

Rows: the English spaCy model with only the label map (labels.LABEL_MAP applied to its entities), the
model with our `incident_ner_labels` component, and the full English pipeline of `Analyzer`.
"""

from __future__ import annotations

import argparse
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timex" / "meantime-en"
LABELS = ("PER", "ORG", "LOC")
# MEANTIME annotates only the title, the dateline and the first four sentences of the body (sentence
# numbers 0-5): no markable of the 120 documents lies further on. The tagger sees the whole text; only
# its predictions in this part are scored.
LAST_ANNOTATED_SENTENCE = 5
MEANTIME_LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}  # PRO, FIN and MIX are not scored
QUOTES = {"``": '"', "''": '"'}  # PTB quote tokens become plain quotes
NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "%", "...", "”", "’", '"close'}
NO_SPACE_AFTER = {"(", "[", "$", "£", "€", "#", "“", '"open'}
CLITICS = {"'s", "'re", "'ve", "'ll", "'d", "'m", "n't"}

Span = tuple[int, int, str]  # start, end, label


@dataclass
class MeantimeDoc:
    doc_id: str
    text: str
    published: str | None  # the document creation time
    scored_end: int  # end of the annotated part of the text
    gold: set[Span] = field(default_factory=set)
    neutral: set[tuple[int, int, str | None]] = field(default_factory=set)  # label None: untyped
    nested: int = 0  # gold mentions inside another gold mention of the same label


def load_corpus(data: Path) -> list[MeantimeDoc]:
    return [parse_document(path) for path in sorted(data.glob("corpus_*/*.xml"))]


def parse_document(path: Path) -> MeantimeDoc:
    root = ET.parse(path).getroot()
    tokens = sorted(root.iter("token"), key=lambda t: int(t.get("number")))
    text, offsets = rebuild_text([(t.text or "", int(t.get("sentence"))) for t in tokens])
    position = {t.get("t_id"): offsets[i] for i, t in enumerate(tokens)}

    markables = root.find("Markables")
    entity_types = {e.get("m_id"): e.get("ent_type") for e in markables.iter("ENTITY")}
    refers: dict[str, str] = {}
    for relation in root.find("Relations").iter("REFERS_TO"):
        targets = [t.get("m_id") for t in relation.iter("target") if t.get("m_id") in entity_types]
        for source in relation.iter("source"):
            if targets:
                refers[source.get("m_id")] = entity_types[targets[0]]

    published = None
    for timex in markables.iter("TIMEX3"):
        if timex.get("functionInDocument") == "CREATION_TIME":
            published = timex.get("value")

    annotated = [
        offsets[i][1] for i, t in enumerate(tokens) if int(t.get("sentence")) <= LAST_ANNOTATED_SENTENCE
    ]
    doc = MeantimeDoc(path.stem.split("_", 1)[0], text, published, max(annotated, default=0))
    for mention in markables.iter("ENTITY_MENTION"):
        anchors = [position[a.get("t_id")] for a in mention.iter("token_anchor")]
        if not anchors:
            continue
        start, end = min(a[0] for a in anchors), max(a[1] for a in anchors)
        ent_type = refers.get(mention.get("m_id"))
        label = MEANTIME_LABELS.get(ent_type) if ent_type else None
        if ent_type and label is None:
            continue  # PRO, FIN, MIX
        if mention.get("syntactic_type") == "NAM" and label:
            doc.gold.add((start, end, label))
        else:
            doc.neutral.add((start, end, label))
    doc.nested = sum(
        any(o != g and o[2] == g[2] and o[0] <= g[0] and g[1] <= o[1] for o in doc.gold) for g in doc.gold
    )
    return doc


def rebuild_text(tokens: list[tuple[str, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Detokenised text and each token's character span; the title and the dateline (the first two
    sentences) on lines of their own."""
    text = ""
    offsets: list[tuple[int, int]] = []
    previous_sentence: int | None = None
    glue_next = True  # no space before the first token, nor after an opening bracket or quote
    open_quote = False
    for raw, sentence in tokens:
        word = QUOTES.get(raw, raw)
        role = raw
        if raw == '"':  # plain quotes alternate between opening and closing
            role = '"close' if open_quote else '"open'
            open_quote = not open_quote
        elif raw in QUOTES:
            role = '"open' if raw == "``" else '"close'
        if previous_sentence is not None and sentence != previous_sentence and sentence <= 2:
            separator = "\n"
        elif glue_next or role in NO_SPACE_BEFORE or raw.lower() in CLITICS:
            separator = ""
        else:
            separator = " "
        text += separator
        offsets.append((len(text), len(text) + len(word)))
        text += word
        glue_next = role in NO_SPACE_AFTER
        previous_sentence = sentence
    return text, offsets


@dataclass
class Score:
    """Counts for one label: predictions judged (neutral ones left out) and gold mentions found."""

    predicted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0

    def add(self, other: Score) -> None:
        self.predicted += other.predicted
        self.correct += other.correct
        self.gold += other.gold
        self.found += other.found

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    exact: dict[str, Score] = field(default_factory=lambda: {label: Score() for label in LABELS})
    relaxed: dict[str, Score] = field(default_factory=lambda: {label: Score() for label in LABELS})
    missed: Counter = field(default_factory=Counter)  # relaxed false negatives, (label, gold text)
    spurious: Counter = field(default_factory=Counter)  # relaxed false positives, (label, text)
    seconds: float = 0.0

    def add(self, doc: MeantimeDoc, predictions: Iterable[Span]) -> None:
        predicted = {p for p in predictions if p[2] in LABELS and p[0] < doc.scored_end}
        for label in LABELS:
            gold = {g for g in doc.gold if g[2] == label}
            mine = {p for p in predicted if p[2] == label}
            neutral = {(s, e) for s, e, lab in doc.neutral if lab in (label, None)}
            exact, relaxed = self.exact[label], self.relaxed[label]
            exact.gold += len(gold)
            relaxed.gold += len(gold)
            exact.found += len(gold & mine)
            relaxed.found += sum(any(_overlap(g, p) for p in mine) for g in gold)
            for p in mine:
                exact_hit, relaxed_hit = p in gold, any(_overlap(g, p) for g in gold)
                is_neutral = (p[0], p[1]) in neutral
                if exact_hit or not is_neutral:
                    exact.predicted += 1
                    exact.correct += exact_hit
                if relaxed_hit or not is_neutral:
                    relaxed.predicted += 1
                    relaxed.correct += relaxed_hit
                if not relaxed_hit and not is_neutral:
                    self.spurious[(label, doc.text[p[0] : p[1]])] += 1
            for g in gold:
                if not any(_overlap(g, p) for p in mine):
                    self.missed[(label, doc.text[g[0] : g[1]])] += 1

    def total(self, scores: dict[str, Score]) -> Score:
        total = Score()
        for score in scores.values():
            total.add(score)
        return total


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(docs: list[MeantimeDoc], predict: Callable[[list[MeantimeDoc]], list[list[Span]]]) -> Evaluation:
    evaluation = Evaluation()
    started = time.perf_counter()
    predictions = predict(docs)
    evaluation.seconds = time.perf_counter() - started
    for doc, spans in zip(docs, predictions, strict=True):
        evaluation.add(doc, spans)
    return evaluation


def model_rows(docs: list[MeantimeDoc]) -> list[tuple[str, Evaluation]]:
    """The configured English spaCy model with only the label map, then with `incident_ner_labels`."""
    from incident_brief.config import NlpSettings
    from incident_brief.models.registry import load_spacy, resolve
    from incident_brief.nlp.labels import LABEL_MAP

    nlp = load_spacy(resolve(NlpSettings().en_model), "en")
    name = f"{nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}"
    nlp.add_pipe("incident_ner_labels")

    def entities(parsed) -> list[list[Span]]:
        return [
            [(e.start_char, e.end_char, LABEL_MAP.get(e.label_, e.label_)) for e in d.ents] for d in parsed
        ]

    with nlp.select_pipes(disable=["incident_ner_labels"]):
        plain = evaluate(docs, lambda ds: entities(nlp.pipe(d.text for d in ds)))
    mapped = evaluate(docs, lambda ds: entities(nlp.pipe(d.text for d in ds)))
    return [(f"{name}, label map only", plain), (f"{name} + incident_ner_labels", mapped)]


def analyzer_row(docs: list[MeantimeDoc]) -> tuple[str, Evaluation]:
    """`Analyzer` as `brief analyze` runs it, told the language and the document creation time."""
    from incident_brief.config import NlpSettings
    from incident_brief.nlp.analysis import Analyzer, TextItem

    analyzer = Analyzer(NlpSettings())
    name = analyzer.pipelines.get("en").version  # loads the pipeline outside the timed part

    def predict(ds: list[MeantimeDoc]) -> list[list[Span]]:
        items = [TextItem(d.text, d.doc_id, "en", d.published) for d in ds]
        return [[(e.start, e.end, e.label) for e in a.entities] for a in analyzer.analyze_many(items)]

    return f"Analyzer ({name})", evaluate(docs, predict)


def print_table(rows: list[tuple[str, Evaluation]]) -> None:
    for match in ("exact", "relaxed"):
        print(f"\n{match} match")
        print(f"{'system':58} {'label':7} {'P':>6} {'R':>6} {'F1':>6} {'pred':>6} {'gold':>6}")
        for name, evaluation in rows:
            scores = getattr(evaluation, match)
            for label, score in [*scores.items(), ("all", evaluation.total(scores))]:
                print(
                    f"{name[:58]:58} {label:7} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f} "
                    f"{score.predicted:6d} {score.gold:6d}"
                )


def print_errors(name: str, evaluation: Evaluation, count: int) -> None:
    print(f"\nmost frequent relaxed errors of {name}")
    for title, errors in (
        ("missed (gold not overlapped)", evaluation.missed),
        ("spurious", evaluation.spurious),
    ):
        shown = ", ".join(f"{label} {text!r} x{n}" for (label, text), n in errors.most_common(count))
        print(f"  {title}: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the meantime-en folder")
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="show the N most frequent errors")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"MEANTIME not found at {args.data}: nothing to benchmark (see ../shared/data/README.md)")
        return
    docs = load_corpus(args.data)
    if not docs:
        sys.exit(f"no corpus_*/*.xml documents under {args.data}")
    gold = Counter(label for doc in docs for _s, _e, label in doc.gold)
    print(
        f"MEANTIME English: {len(docs)} documents, {sum(len(d.text) for d in docs)} characters, of which "
        f"{sum(d.scored_end for d in docs)} annotated (sentences 0-{LAST_ANNOTATED_SENTENCE}); gold NAM "
        f"mentions {sum(gold.values())} ({', '.join(f'{k} {gold[k]}' for k in LABELS)}), of which "
        f"{sum(d.nested for d in docs)} nested in another of the same label; "
        f"{sum(len(d.neutral) for d in docs)} other PER/ORG/LOC or untyped mentions (neutral)"
    )
    rows = [*model_rows(docs), analyzer_row(docs)]
    print_table(rows)
    print()
    for name, evaluation in rows:
        print(f"{name}: {evaluation.seconds:.1f} s, {len(docs) / evaluation.seconds:.1f} documents/s")
    if args.errors:
        print_errors(*rows[-1], args.errors)


if __name__ == "__main__":
    main()
