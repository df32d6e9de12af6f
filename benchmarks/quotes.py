"""Quote extraction quality and cost on our own German, English and French test sets (data/quotes/).

Evaluation protocol:
- Data: short security-news articles written for this benchmark: `dev` (6 German, 6 English) and `dev2`
  (10 English, written after `dev` was exhausted as a tuning set) were tuned on, `test` (6 German,
  6 English) is only scored; `fr-test` (5 French) was written after the French rules and scored
  once; `gold.json` per split gives each quote's character span (for
  split quotes the span includes the attribution between the parts; for reported speech the reported
  content), kind (direct, partial, indirect) and speaker (canonical name, or null when the text names none).
- Pipeline: the configured per-language pipelines (`NlpSettings()`; the German one falls back to
  `blank` when the shipped model is missing, said in the output) plus `incident_quotes` at the end.
- Matching: a predicted quote matches a gold quote when their spans overlap by at least 50% of the gold
  span and they agree on quoted (direct or partial) versus reported (indirect); one-to-one, greedy by
  overlap. "Span only" drops the kind condition. Speaker accuracy: the share of matched quotes whose
  predicted speaker canonical equals the gold one (both null counts as right).
- Cost: milliseconds the component takes per 600 words, over the articles of the chosen splits and the
  seed article five times, after the rest of the pipeline has run.

- `--rules-only`: `incident_quotes` without its learned speaker ranker (`speaker_ranker=False`), for
  comparison. Cross-validated figures of both come from
  `models/recipes/quotes/train_speaker_ranker.py --dry-run`.

- `--compare-cost`: also times the component without and with the ranker alternately, 8 rounds over the
  chosen splits' Docs, and prints the medians (less noisy than two separate runs on a shared machine).

    python benchmarks/quotes.py [--split dev|dev2|test|test2|test3|test4|fr-test|all] [--rules-only]
        [--compare-cost]
        [--errors] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from incident_brief.config import NlpSettings
from incident_brief.errors import ModelError
from incident_brief.nlp import quotes as _quotes  # noqa: F401 (registers incident_quotes)
from incident_brief.nlp.pipelines import PipelineSet

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / "data" / "quotes"
SEED = REPO.parent / "shared" / "examples" / "seed-article-de.txt"
SPLITS = ("dev", "dev2", "test", "test2", "test3", "test4", "fr-test")
LANGUAGES = ("de", "en", "fr")
MIN_OVERLAP = 0.5


@dataclass
class Tally:
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    span_matched: int = 0
    speaker_right: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched
        self.span_matched += other.span_matched
        self.speaker_right += other.speaker_right

    def scores(self) -> dict:
        def f1(tp: int) -> tuple[float, float, float]:
            p = tp / self.predicted if self.predicted else 0.0
            r = tp / self.gold if self.gold else 0.0
            return round(p, 3), round(r, 3), round(2 * p * r / (p + r), 3) if p + r else 0.0

        p, r, f = f1(self.matched)
        sp, sr, sf = f1(self.span_matched)
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "precision": p,
            "recall": r,
            "f1": f,
            "span_only": {"precision": sp, "recall": sr, "f1": sf},
            "speaker_accuracy": round(self.speaker_right / self.matched, 3) if self.matched else 0.0,
        }


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def match(gold: list[dict], predicted: list[dict], with_kind: bool) -> list[tuple[dict, dict]]:
    pairs = []
    for g in gold:
        for p in predicted:
            shared = overlap((g["start"], g["end"]), (p["start"], p["end"]))
            same_class = (g["kind"] == "indirect") == (p["kind"] == "indirect")
            if shared >= MIN_OVERLAP * (g["end"] - g["start"]) and (same_class or not with_kind):
                pairs.append((shared, id(g), id(p), g, p))
    pairs.sort(key=lambda item: -item[0])
    used_gold, used_predicted, result = set(), set(), []
    for _, gid, pid, g, p in pairs:
        if gid not in used_gold and pid not in used_predicted:
            used_gold.add(gid)
            used_predicted.add(pid)
            result.append((g, p))
    return result


def score_article(gold: list[dict], predicted: list[dict], name: str) -> Tally:
    tally = Tally(gold=len(gold), predicted=len(predicted))
    matched = match(gold, predicted, with_kind=True)
    tally.matched = len(matched)
    tally.span_matched = len(match(gold, predicted, with_kind=False))
    for g, p in matched:
        speaker = p["speaker"]["canonical"] if p["speaker"] else None
        if speaker == g["speaker"]:
            tally.speaker_right += 1
        else:
            tally.errors.append(f"{name}: speaker {speaker!r} for {g['speaker']!r}: {g['text'][:50]!r}")
    found = {id(g) for g, _ in matched}
    tally.errors += [f"{name}: missed {g['kind']} {g['text'][:60]!r}" for g in gold if id(g) not in found]
    hit = {id(p) for _, p in matched}
    tally.errors += [f"{name}: extra {p['kind']} {p['text'][:60]!r}" for p in predicted if id(p) not in hit]
    return tally


def pipelines(speaker_ranker: bool = True) -> tuple[PipelineSet, list[str]]:
    notes = []
    settings = NlpSettings()
    pipes = PipelineSet(settings)
    try:
        pipes.get("de")
    except ModelError as exc:
        notes.append(f"German model unavailable ({exc}); German runs on the blank pipeline")
        pipes = PipelineSet(NlpSettings(de_model="blank"))
    for language in LANGUAGES:
        nlp = pipes.get(language).nlp
        if not speaker_ranker and nlp.has_pipe("incident_quotes"):  # in place: later components read quotes
            nlp.replace_pipe("incident_quotes", "incident_quotes", config={"speaker_ranker": False})
        if not nlp.has_pipe("incident_quotes"):
            nlp.add_pipe("incident_quotes", config={"speaker_ranker": speaker_ranker})
    if not speaker_ranker:
        notes.append("incident_quotes without its speaker ranker (rules alone)")
    notes += [pipes.get(language).version for language in LANGUAGES]
    return pipes, notes


def evaluate(pipes: PipelineSet, split: str) -> tuple[dict, list[str], list[tuple[int, float]]]:
    articles = json.loads((DATA / split / "gold.json").read_text(encoding="utf-8"))
    totals: dict[str, Tally] = {language: Tally() for language in (*LANGUAGES, "all")}
    errors: list[str] = []
    costs: list[tuple[int, float]] = []
    for article in articles:
        text = (DATA / split / article["file"]).read_text(encoding="utf-8")
        nlp = pipes.get(article["language"]).nlp
        words, seconds, doc = component_cost(nlp, text)
        costs.append((words, seconds))
        predicted = [q.to_dict() for q in doc._.quotes]
        tally = score_article(article["quotes"], predicted, article["id"])
        totals[article["language"]].add(tally)
        totals["all"].add(tally)
        errors += tally.errors
    return {name: tally.scores() for name, tally in totals.items()}, errors, costs


def component_cost(nlp, text: str):
    """(words, seconds the quote component took, the finished Doc)."""
    doc = nlp.make_doc(text)
    for name, component in nlp.pipeline:
        if name == "incident_quotes":
            started = time.perf_counter()
            doc = component(doc)
            seconds = time.perf_counter() - started
        else:
            doc = component(doc)
    return len(text.split()), seconds, doc


def paired_cost(pipes: PipelineSet, splits: tuple[str, ...], rounds: int = 8) -> tuple[float, float]:
    """Median ms per 600 words of the component without and with its speaker ranker, timed alternately in
    one process over the same Docs (the other components run once), so load from other jobs hits both."""
    docs, words = [], 0
    for split in splits:
        for article in json.loads((DATA / split / "gold.json").read_text(encoding="utf-8")):
            text = (DATA / split / article["file"]).read_text(encoding="utf-8")
            nlp = pipes.get(article["language"]).nlp
            docs.append((nlp.get_pipe("incident_quotes"), nlp(text, disable=["incident_quotes"])))
            words += len(text.split())
    timings: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for ranked in (False, True):
            started = time.perf_counter()
            for finder, doc in docs:
                model = finder.speaker_model
                finder.speaker_model = model if ranked else None
                finder(doc)
                finder.speaker_model = model
            timings[ranked].append(time.perf_counter() - started)
    rules, ranker = (sorted(timings[k])[rounds // 2] / words * 600 * 1000 for k in (False, True))
    return round(rules, 2), round(ranker, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="list misses, extras and wrong speakers")
    parser.add_argument("--rules-only", action="store_true", help="without the learned speaker ranker")
    parser.add_argument(
        "--compare-cost", action="store_true", help="time the component with and without its ranker, paired"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pipes, notes = pipelines(speaker_ranker=not args.rules_only)
    report: dict = {"notes": notes, "splits": {}}
    costs: list[tuple[int, float]] = []
    for split in SPLITS if args.split == "all" else (args.split,):
        scores, errors, split_costs = evaluate(pipes, split)
        costs += split_costs
        report["splits"][split] = scores
        if args.errors:
            report["splits"][split]["errors"] = errors
    if SEED.is_file():
        seed = SEED.read_text(encoding="utf-8")
        for _ in range(5):
            costs.append(component_cost(pipes.get("de").nlp, seed)[:2])
    words = sum(w for w, _ in costs)
    report["ms_per_600_words"] = round(1000 * sum(s for _, s in costs) / words * 600, 2)
    if args.compare_cost and not args.rules_only:
        splits = SPLITS if args.split == "all" else (args.split,)
        rules, ranker = paired_cost(pipes, splits)
        report["paired_ms_per_600_words"] = {"rules": rules, "rules_and_ranker": ranker}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    for note in notes:
        print(note)
    for split, scores in report["splits"].items():
        for language in (*LANGUAGES, "all"):
            s = scores[language]
            if not s["gold"] and not s["predicted"]:
                continue  # a language the split has no articles in (dev2 is English only)
            print(
                f"{split:7} {language:3} gold={s['gold']:3} predicted={s['predicted']:3} "
                f"P={s['precision']:.3f} "
                f"R={s['recall']:.3f} F1={s['f1']:.3f} span-only F1={s['span_only']['f1']:.3f} "
                f"speaker accuracy={s['speaker_accuracy']:.3f}"
            )
        for error in scores.get("errors", []):
            print("   ", error)
    print(f"incident_quotes: {report['ms_per_600_words']} ms per 600 words")
    if "paired_ms_per_600_words" in report:
        paired = report["paired_ms_per_600_words"]
        print(
            f"paired (median of 8): rules {paired['rules']} ms, "
            f"rules and ranker {paired['rules_and_ranker']} ms per 600 words"
        )


if __name__ == "__main__":
    main()
