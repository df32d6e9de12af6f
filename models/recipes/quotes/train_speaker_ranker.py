"""Train the quote speaker ranker (`nlp/quote_speakers.py`) and estimate it on unseen articles.

Development only (scikit-learn is not a run-time dependency):

    python models/recipes/quotes/train_speaker_ranker.py [--cache FILE] [--folds 5] [--pointwise] [--dry-run]

1. Runs the configured pipelines with `incident_quotes` in rules-only mode over the tuning splits
   (`TRAIN_SPLITS`; never test4, which stays held out) and matches predicted quotes to gold ones as
   `benchmarks/quotes.py` does. Every matched quote gives one row per candidate speaker, labelled 1 when
   the candidate is the gold speaker ("no speaker" for a null gold speaker).
2. Grouped k-fold by article: a logistic regression is fitted on the other articles' quotes and chooses the
   best-scoring candidate for each held-out quote; speaker accuracy per language, rules alone vs ranker,
   over the matched quotes (the benchmark's denominator). Pairwise (default): for each quote, the gold
   candidate's features minus each other candidate's are the examples, so the weights rank candidates of
   one quote against each other; `--pointwise`: each candidate is an example of its own (gold or not).
3. Fits on all rows and writes the weights with the features named, the training data, the date and the
   cross-validated figures to `nlp/data/quote_speaker_model.json` (not with --dry-run).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import spacy
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from incident_brief.config import NlpSettings
from incident_brief.errors import ModelError
from incident_brief.nlp import quote_speakers
from incident_brief.nlp.pipelines import PipelineSet

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "benchmarks" / "data" / "quotes"
TRAIN_SPLITS = ("dev", "dev2", "test", "test2", "test3")  # test4 is held out: never read here
REGULARISATION = 1.0  # sklearn's C; fixed beforehand, not searched on the folds


def load_benchmark():
    """`benchmarks/quotes.py` (not a package) for its gold-to-prediction matching."""
    spec = importlib.util.spec_from_file_location("quotes_benchmark", REPO / "benchmarks" / "quotes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def rules_only_pipelines() -> dict[str, spacy.Language]:
    pipes = PipelineSet(NlpSettings())
    try:
        pipes.get("de")
    except ModelError:
        pipes = PipelineSet(NlpSettings(de_model="blank"))
    result = {}
    for language in ("de", "en"):
        nlp = pipes.get(language).nlp
        if nlp.has_pipe("incident_quotes"):
            nlp.replace_pipe("incident_quotes", "incident_quotes", config={"speaker_ranker": False})
        else:
            nlp.add_pipe("incident_quotes", config={"speaker_ranker": False})
        result[language] = nlp
    return result


def extract() -> list[dict]:
    """One record per matched quote: article, language, gold and rules' speaker, candidates."""
    benchmark = load_benchmark()
    pipelines = rules_only_pipelines()
    records = []
    for split in TRAIN_SPLITS:
        articles = json.loads((DATA / split / "gold.json").read_text(encoding="utf-8"))
        for article in articles:
            nlp = pipelines[article["language"]]
            text = (DATA / split / article["file"]).read_text(encoding="utf-8")
            doc = nlp(text, disable=["incident_quotes"])
            found = nlp.get_pipe("incident_quotes").candidates(doc)
            by_quote = {id(quote): candidates for quote, candidates in found}
            predicted = []
            for quote, _ in found:
                record = quote.to_dict()
                record["_id"] = id(quote)
                predicted.append(record)
            for gold, prediction in benchmark.match(article["quotes"], predicted, with_kind=True):
                candidates = by_quote[prediction["_id"]]
                records.append(
                    {
                        "article": f"{split}/{article['id']}",
                        "language": article["language"],
                        "gold": gold["speaker"],
                        "rules": prediction["speaker"]["canonical"] if prediction["speaker"] else None,
                        "candidates": [(c.canonical, c.features) for c in candidates],
                    }
                )
    return records


def matrix(records: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for record in records:
        for canonical, features in record["candidates"]:
            rows.append([features.get(name, 0.0) for name in quote_speakers.FEATURES])
            labels.append(int(canonical == record["gold"]))
    return np.array(rows), np.array(labels)


def fit(records: list[dict], pairwise: bool = False) -> LogisticRegression:
    if pairwise:
        x, y = pairs(records)
        return LogisticRegression(C=REGULARISATION, fit_intercept=False, max_iter=5000).fit(x, y)
    x, y = matrix(records)
    return LogisticRegression(C=REGULARISATION, max_iter=2000).fit(x, y)


def pairs(records: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise ranking: gold minus each other candidate is a positive example, the reverse a negative one
    (quotes whose gold speaker is no candidate give none)."""
    rows, labels = [], []
    for record in records:
        vectors = [
            (canonical, np.array([f.get(name, 0.0) for name in quote_speakers.FEATURES]))
            for canonical, f in record["candidates"]
        ]
        gold = next((v for canonical, v in vectors if canonical == record["gold"]), None)
        if gold is None:
            continue
        for canonical, vector in vectors:
            if canonical != record["gold"]:
                rows += [gold - vector, vector - gold]
                labels += [1, 0]
    return np.array(rows), np.array(labels)


def choose(model: LogisticRegression, record: dict) -> str | None:
    x = np.array([[f.get(name, 0.0) for name in quote_speakers.FEATURES] for _, f in record["candidates"]])
    return record["candidates"][int(np.argmax(model.decision_function(x)))][0]


def cross_validate(records: list[dict], folds: int, pairwise: bool = False) -> dict:
    groups = [r["article"] for r in records]
    right = {lang: {"rules": 0, "ranker": 0, "quotes": 0} for lang in ("de", "en", "all")}
    for train, held in GroupKFold(n_splits=folds).split(records, groups=groups):
        model = fit([records[i] for i in train], pairwise)
        for i in held:
            record = records[i]
            for lang in (record["language"], "all"):
                right[lang]["quotes"] += 1
                right[lang]["rules"] += int(record["rules"] == record["gold"])
                right[lang]["ranker"] += int(choose(model, record) == record["gold"])
    return {
        lang: {
            "quotes": tally["quotes"],
            "rules": round(tally["rules"] / tally["quotes"], 3),
            "ranker": round(tally["ranker"] / tally["quotes"], 3),
        }
        for lang, tally in right.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="read/write the extracted candidates here (pickle)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--pointwise", action="store_true", help="pointwise instead of pairwise training")
    parser.add_argument("--dry-run", action="store_true", help="cross-validate only, write nothing")
    args = parser.parse_args()
    if args.cache and args.cache.is_file():
        records = pickle.loads(args.cache.read_bytes())
    else:
        records = extract()
        if args.cache:
            args.cache.write_bytes(pickle.dumps(records))
    reachable = sum(any(c == r["gold"] for c, _ in r["candidates"]) for r in records)
    print(f"{len(records)} matched quotes, gold speaker among the candidates for {reachable}")
    cv = cross_validate(records, args.folds, not args.pointwise)
    for lang, figures in cv.items():
        print(
            f"cv {lang:3} quotes={figures['quotes']:3} "
            f"rules={figures['rules']:.3f} ranker={figures['ranker']:.3f}"
        )
    model = fit(records, not args.pointwise)
    train_right = sum(choose(model, r) == r["gold"] for r in records)
    print(f"fitted on all: ranker {train_right / len(records):.3f} on its own training quotes")
    if args.dry_run:
        return
    path = quote_speakers.MODEL_PATH
    payload = {
        "model": "incident_quotes speaker ranker: logistic regression over candidate speakers",
        "trained": datetime.date.today().isoformat(),
        "training_data": [f"benchmarks/data/quotes/{split}" for split in TRAIN_SPLITS],
        "quotes": len(records),
        "candidates": sum(len(r["candidates"]) for r in records),
        "training": "pointwise" if args.pointwise else "pairwise",
        "regularisation_C": REGULARISATION,
        "cross_validation": {"folds": args.folds, "grouped_by": "article", "speaker_accuracy": cv},
        "features": list(quote_speakers.FEATURES),
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6) if args.pointwise else 0.0,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
