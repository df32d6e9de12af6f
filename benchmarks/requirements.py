"""Security requirements (issue 5): detection, control mapping, the security gate, and cost.

    python benchmarks/requirements.py [--split dev|test|test2|test3|test4|all] [--promise PATH] [--repeat N]
    python benchmarks/requirements.py --cv

Prints, per split and language: detection precision/recall/F1 over the sentences of
benchmarks/data/requirements/{dev,test,test2,test3,test4}.jsonl (a sentence is predicted a requirement when
the pipeline finds one in it), top-1/top-3 control accuracy over the true requirements (a missed requirement
counts as wrong; any expected control counts), and a BM25-over-the-catalog baseline for top-3 (the raw
sentence as query). Then the security gate's precision/recall for class SE on the PROMISE NFR set
(../shared/data/requirements/promise-nfr.csv, skipped without it), and the component's cost per
600-word article made of the benchmark sentences and on the seed article (median and minimum of
--repeat calls on an analysed Doc; the learned parts' first call, which loads the embedder, is left out),
and its load time. Timings on a shared machine are noisy: the run prints the load average.

--cv prints only the grouped cross-validation of the learned detector and control ranking against the
rules alone, per split left out and language (models/recipes/requirements/train.py: tuning splits only).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from incident_brief.config import NlpSettings
from incident_brief.models.recipes.requirements import train
from incident_brief.nlp.analysis import Analyzer
from incident_brief.nlp.requirements import ConceptLexicon, ControlCatalog, make_requirements

DATA = Path(__file__).resolve().parent / "data" / "requirements"
PROMISE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "requirements" / "promise-nfr.csv"
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "examples" / "seed-article-de.txt"
ARTICLE_WORDS = 600
SPLITS = ("dev", "test", "test2", "test3", "test4")  # test2, test3, test4: held out, never tuned on


def load(split: str) -> list[dict]:
    return [
        json.loads(line)
        for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]


def ranked_controls(requirements: list[dict]) -> list[str]:
    best: dict[str, float] = {}
    for requirement in requirements:
        for control in requirement["controls"]:
            best[control["id"]] = max(best.get(control["id"], 0.0), control["score"])
    return sorted(best, key=lambda c: -best[c])


def evaluate(analyzer: Analyzer, catalog: ControlCatalog, items: list[dict], show_errors: bool) -> dict:
    tp = fp = fn = top1 = top3 = baseline3 = gold = 0
    for item in items:
        result = analyzer.analyze(item["text"], language=item["lang"]).to_dict()
        found = result["requirements"]
        if item["requirement"]:
            gold += 1
            expected = set(item["controls"])
            if found:
                tp += 1
                ranked = ranked_controls(found)
                top1 += bool(set(ranked[:1]) & expected)
                hit3 = bool(set(ranked[:3]) & expected)
                top3 += hit3
                if show_errors and not hit3:
                    print(
                        f"  control miss {item['id']}: {ranked[:3]} expected {sorted(expected)}",
                        file=sys.stderr,
                    )
            else:
                fn += 1
                if show_errors:
                    print(f"  missed {item['id']}: {item['text']}", file=sys.stderr)
            baseline3 += bool({c for c, _ in catalog.bm25(item["text"], top=3)} & expected)
        elif found:
            fp += 1
            if show_errors:
                print(
                    f"  false positive {item['id']}: {item['text']} -> {found[0]['concepts']}",
                    file=sys.stderr,
                )
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "sentences": len(items),
        "requirements": gold,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "top1": top1 / gold if gold else 0.0,
        "top3": top3 / gold if gold else 0.0,
        "bm25_top3": baseline3 / gold if gold else 0.0,
    }


def promise_gate(path: Path, lexicon: ConceptLexicon) -> dict | None:
    if not path.exists():
        return None
    tp = fp = fn = rows = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = row["RequirementText"].strip().strip("'")
            predicted = any(m.concept.gate for m in lexicon.find(text, "en"))
            actual = row["class"].strip() == "SE"
            rows += 1
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
    return {
        "rows": rows,
        "se": tp + fn,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
    }


def article(items: list[dict], language: str) -> str:
    """About 600 words of news-style text in one language: the benchmark sentences, repeated."""
    sentences = [i["text"] for i in items if i["lang"] == language]
    words: list[str] = []
    paragraphs = []
    while len(words) < ARTICLE_WORDS:
        for sentence in sentences:
            paragraphs.append(sentence)
            words += sentence.split()
            if len(words) >= ARTICLE_WORDS:
                break
    return "\n".join(paragraphs)


def cost(analyzer: Analyzer, items: list[dict], repeat: int) -> dict:
    figures = {}
    for language in ("de", "en"):
        nlp = analyzer.pipelines.get(language).nlp
        text = article(items, language)
        with nlp.select_pipes(disable=["incident_requirements"]):
            doc = nlp(text)
        component = nlp.get_pipe("incident_requirements")
        component(doc)  # the first call loads the embedder (once per process)
        times = timed(component, doc, repeat)
        rules_times = rules_only(component, doc, repeat)
        full = []
        for _ in range(max(3, repeat // 5)):
            began = time.perf_counter()
            nlp(text)
            full.append((time.perf_counter() - began) * 1000)
        figures[language] = {
            "component_ms": statistics.median(times),
            "component_min_ms": min(times),
            "rules_min_ms": min(rules_times),
            "pipeline_ms": statistics.median(full),
            "requirements": len(doc._.requirements),
        }
    began = time.perf_counter()
    make_requirements(analyzer.pipelines.get("en").nlp, "incident_requirements", None, True)
    figures["load_ms"] = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    make_requirements(analyzer.pipelines.get("en").nlp, "incident_requirements", None, False)
    figures["rules_load_ms"] = (time.perf_counter() - began) * 1000
    return figures


def seed_cost(analyzer: Analyzer, repeat: int) -> tuple[float, float, int, float] | None:
    """The component's median and minimum cost on the seed article (661 words of real coverage)."""
    if not SEED.exists():
        return None
    nlp = analyzer.pipelines.get("de").nlp
    with nlp.select_pipes(disable=["incident_requirements"]):
        doc = nlp(SEED.read_text(encoding="utf-8"))
    component = nlp.get_pipe("incident_requirements")
    component(doc)
    times = timed(component, doc, repeat)
    found = len(doc._.requirements)
    return statistics.median(times), min(times), found, min(rules_only(component, doc, repeat))


def timed(component, doc, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        component(doc)
        times.append((time.perf_counter() - began) * 1000)
    return times


def rules_only(component, doc, repeat: int) -> list[float]:
    """The same calls with the learned parts switched off: what they add."""
    learned, component.learned = component.learned, None
    try:
        return timed(component, doc, repeat)
    finally:
        component.learned = learned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--promise", type=Path, default=PROMISE)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--errors", action="store_true", help="list misses and false positives on stderr")
    parser.add_argument(
        "--cv", action="store_true", help="only the grouped cross-validation, rules vs learned"
    )
    args = parser.parse_args()
    if args.cv:
        train.main([])
        return
    analyzer = Analyzer(NlpSettings())
    catalog = ControlCatalog.load()
    splits = SPLITS if args.split == "all" else (args.split,)
    print("split  lang  sentences  reqs  P     R     F1    top1  top3  bm25-top3")
    everything = []
    for split in splits:
        items = load(split)
        everything += items
        for language in ("de", "en", "all"):
            subset = [i for i in items if language == "all" or i["lang"] == language]
            r = evaluate(analyzer, catalog, subset, args.errors and language == "all")
            print(
                f"{split:6} {language:5} {r['sentences']:9}  {r['requirements']:4}  {r['precision']:.2f}  "
                f"{r['recall']:.2f}  {r['f1']:.2f}  {r['top1']:.2f}  {r['top3']:.2f}  {r['bm25_top3']:.2f}"
            )
    gate = promise_gate(args.promise, ConceptLexicon.load())
    if gate is None:
        print(f"PROMISE NFR: {args.promise} not found, skipped")
    else:
        print(
            f"security gate on PROMISE NFR (class SE, {gate['se']} of {gate['rows']} rows): "
            f"precision {gate['precision']:.2f} recall {gate['recall']:.2f}"
        )
    figures = cost(analyzer, everything, args.repeat)
    for language in ("de", "en"):
        f = figures[language]
        print(
            f"cost per {ARTICLE_WORDS}-word article ({language}): component {f['component_ms']:.1f} ms "
            f"median, {f['component_min_ms']:.1f} ms min, rules only {f['rules_min_ms']:.1f} ms min "
            f"(whole pipeline {f['pipeline_ms']:.0f} ms; {f['requirements']} requirements found)"
        )
    seed = seed_cost(analyzer, args.repeat)
    if seed is not None:
        print(
            f"cost on the seed article: {seed[0]:.1f} ms median, {seed[1]:.1f} ms min, rules only "
            f"{seed[3]:.1f} ms min ({seed[2]} requirements)"
        )
    print(
        f"component load (lexicons, control catalog, BM25 index, learned models): "
        f"{figures['load_ms']:.0f} ms; rules only {figures['rules_load_ms']:.0f} ms "
        "(the embedder loads on first use, not counted)"
    )
    busy = os.getloadavg()
    print(
        f"run {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs, "
        f"load average {busy[0]:.2f} {busy[1]:.2f} {busy[2]:.2f} (timings on a busy machine are noisy)"
    )


if __name__ == "__main__":
    main()
