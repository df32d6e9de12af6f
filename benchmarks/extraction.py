"""Main-text and metadata extraction: our Extractor against trafilatura alone, on the same pages in one run.

    python benchmarks/extraction.py [--data DIR] [--limit N] [--dump-dates FILE]

DIR holds gold.json and pages/<file>.gz (trafilatura's evaluation set, see ../shared/data/README.md).
How each figure is computed is written down in docs/benchmarks.md ("Extraction quality").
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import trafilatura
from trafilatura import bare_extraction

from incident_brief.corpus.extract import Extractor, date_evidence

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "extraction"
# Author strings are compared as sets of names; these separate names in both gold and output.
NAME_SEPARATORS = re.compile(r"\s*(?:;|,|/|&|\band\b|\bund\b|\bet\b|\by\b)\s*", re.IGNORECASE)
LENIENT_TOKEN_F1 = 0.8
# A few gold dates are malformed (2022-11-1, 2022-01.26, 2022-29-11); each still names one day.
LOOSE_GOLD_DATE = re.compile(r"^(\d{4})-(\d{1,2})[-.](\d{1,2})$")


@dataclass
class Case:
    url: str
    html: bytes
    gold: dict


@dataclass
class Prediction:
    text: str
    title: str | None
    authors: list[str]
    date: str | None


@dataclass
class Score:
    """Counts for one extractor over all pages."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    fields: dict[str, list[int]] = field(default_factory=dict)  # name -> [exact hits, lenient hits, pages]
    seconds: float = 0.0
    pages: int = 0

    def count_field(self, name: str, exact: bool, lenient: bool) -> None:
        counts = self.fields.setdefault(name, [0, 0, 0])
        counts[0] += exact
        counts[1] += exact or lenient
        counts[2] += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def accuracy(self, name: str, lenient: bool = False) -> float:
        exact, loose, pages = self.fields.get(name, [0, 0, 0])
        return (loose if lenient else exact) / pages if pages else 0.0


def normalize(text: str | None) -> str:
    """Collapse whitespace (as trafilatura's evaluation does); NFC so composed forms compare equal."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def fold(text: str | None) -> str:
    return normalize(text).casefold()


def token_f1(ours: str, gold: str) -> float:
    ours_tokens, gold_tokens = re.findall(r"\w+", fold(ours)), re.findall(r"\w+", fold(gold))
    if not ours_tokens or not gold_tokens:
        return 0.0
    remaining = list(gold_tokens)
    common = 0
    for token in ours_tokens:
        if token in remaining:
            remaining.remove(token)
            common += 1
    if not common:
        return 0.0
    precision, recall = common / len(ours_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def repair_gold_date(value: str) -> str:
    """Zero-pad a one-digit month or day, read "." as "-", and swap a month above 12 with a day of at most
    12: only where exactly one calendar day is meant. Anything else is returned as it is."""
    match = LOOSE_GOLD_DATE.match(value)
    if not match:
        return value
    year, month, day = (int(part) for part in match.groups())
    if month > 12 >= day:
        month, day = day, month
    return f"{year:04d}-{month:02d}-{day:02d}"


def names(authors: Iterable[str]) -> set[str]:
    return {fold(name) for author in authors for name in NAME_SEPARATORS.split(author) if fold(name)}


def load_cases(data_dir: Path, limit: int | None) -> list[Case]:
    gold = json.loads((data_dir / "gold.json").read_text(encoding="utf-8"))
    cases = []
    for url, item in sorted(gold.items()):
        page = data_dir / "pages" / f"{item['file']}.gz"
        if page.is_file():
            cases.append(Case(url=url, html=gzip.decompress(page.read_bytes()), gold=item))
    return cases[:limit] if limit else cases


def run_ours(extractor: Extractor) -> Callable[[Case], Prediction]:
    def predict(case: Case) -> Prediction:
        result = extractor.extract(case.html, url=case.url)
        return Prediction(text=result.text, title=result.title, authors=result.authors, date=result.published)

    return predict


def run_trafilatura(case: Case) -> Prediction:
    document = bare_extraction(case.html, url=case.url, with_metadata=True)
    if document is None:
        return Prediction(text="", title=None, authors=[], date=None)
    authors = [name.strip() for name in (document.author or "").split(";") if name.strip()]
    return Prediction(text=document.text or "", title=document.title, authors=authors, date=document.date)


def score_case(score: Score, case: Case, prediction: Prediction) -> None:
    text = normalize(prediction.text)
    for snippet in case.gold["with"]:
        if normalize(snippet) in text:
            score.tp += 1
        else:
            score.fn += 1
    for snippet in case.gold["without"]:
        if normalize(snippet) in text:
            score.fp += 1
        else:
            score.tn += 1

    gold_title = case.gold.get("title")
    if fold(gold_title):
        ours = fold(prediction.title)
        exact = ours == fold(gold_title)
        lenient = bool(ours) and (fold(gold_title) in ours or token_f1(ours, gold_title) >= LENIENT_TOKEN_F1)
        score.count_field("title", exact, lenient)

    gold_author = case.gold.get("author") or []
    gold_names = names([gold_author] if isinstance(gold_author, str) else gold_author)
    if gold_names:
        ours_names = names(prediction.authors)
        joined = " ".join(sorted(ours_names))
        exact = ours_names == gold_names
        lenient = bool(ours_names) and (
            gold_names <= ours_names or token_f1(joined, " ".join(sorted(gold_names))) >= LENIENT_TOKEN_F1
        )
        score.count_field("author", exact, lenient)

    gold_date = normalize(case.gold.get("date"))
    if gold_date:
        exact = normalize(prediction.date)[:10] == gold_date[:10]
        score.count_field("date", exact, exact)
        repaired = normalize(prediction.date)[:10] == repair_gold_date(gold_date)[:10]
        score.count_field("date_repaired", repaired, repaired)


def evaluate(cases: list[Case], predict: Callable[[Case], Prediction]) -> Score:
    score = Score()
    for case in cases:
        started = time.perf_counter()
        prediction = predict(case)
        score.seconds += time.perf_counter() - started
        score.pages += 1
        score_case(score, case, prediction)
    return score


def report(results: dict[str, Score]) -> str:
    columns = list(results)
    rows = [("pages", [f"{s.pages}" for s in results.values()])]
    rows += [
        ("text precision", [f"{s.precision:.3f}" for s in results.values()]),
        ("text recall", [f"{s.recall:.3f}" for s in results.values()]),
        ("text F1", [f"{s.f1:.3f}" for s in results.values()]),
    ]
    first = next(iter(results.values()))
    for name in ("title", "author"):
        pages = first.fields.get(name, [0, 0, 0])[2]
        rows.append((f"{name} exact (n={pages})", [f"{s.accuracy(name):.3f}" for s in results.values()]))
        rows.append((f"{name} lenient", [f"{s.accuracy(name, lenient=True):.3f}" for s in results.values()]))
    pages = first.fields.get("date", [0, 0, 0])[2]
    rows.append((f"date (n={pages})", [f"{s.accuracy('date'):.3f}" for s in results.values()]))
    rows.append(("date, gold repaired", [f"{s.accuracy('date_repaired'):.3f}" for s in results.values()]))
    rows.append(("pages/s", [f"{s.pages / s.seconds:.1f}" if s.seconds else "-" for s in results.values()]))
    width = max(len(label) for label, _ in rows)
    lines = [f"{'':{width}}  " + "  ".join(f"{c:>22}" for c in columns)]
    lines += [f"{label:{width}}  " + "  ".join(f"{v:>22}" for v in values) for label, values in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with gold.json and pages/")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages (sorted by URL)")
    parser.add_argument(
        "--dump-dates",
        type=Path,
        default=None,
        help="write gold, ours and our date signals per page (JSON lines)",
    )
    args = parser.parse_args(argv)
    if not (args.data / "gold.json").is_file():
        print(f"no extraction data at {args.data} (expected gold.json and pages/); nothing to do")
        return 0
    logging.disable(logging.WARNING)  # both extractors log every discarded page
    cases = load_cases(args.data, args.limit)
    extractor = Extractor()
    results = {
        "ours": evaluate(cases, run_ours(extractor)),
        f"trafilatura {trafilatura.__version__}": evaluate(cases, run_trafilatura),
    }
    print(report(results))
    if args.dump_dates:
        dump_dates(cases, extractor, args.dump_dates)
        print(f"date signals of {len(cases)} pages written to {args.dump_dates}")
    return 0


def dump_dates(cases: list[Case], extractor: Extractor, path: Path) -> None:
    """One JSON object per page: gold date (as given and repaired), ours, whether they agree, and the
    signals ours was chosen from (a signal searched only when the better ones are missing is null)."""
    with path.open("w", encoding="utf-8") as out:
        for case in cases:
            gold = normalize(case.gold.get("date")) or None
            ours = extractor.extract(case.html, url=case.url).published
            evidence = date_evidence(case.html, url=case.url)
            record = {
                "url": case.url,
                "gold": gold,
                "gold_repaired": repair_gold_date(gold) if gold else None,
                "ours": ours,
                "hit": bool(gold) and (ours or "")[:10] == repair_gold_date(gold)[:10],
                "signals": asdict(evidence) if evidence else None,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
