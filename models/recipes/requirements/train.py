"""Trains the learned parts of `incident_requirements` and measures them by grouped cross-validation.

    python -m incident_brief.models.recipes.requirements.train [--write]

Data: the tuning splits of benchmarks/data/requirements (dev, test, test2, test3; never test4). Each
split was written separately, so the folds are the splits (leave one split out): a fold's sentences,
their style and their gold are unseen by what is fitted on the other three. The concept lexicon and the
cue rules were themselves fitted on dev, test and test2, so only the test3 fold measures the rules on
unseen text; the figures per fold say so.

1. Detector: a logistic regression (scikit-learn, development only) over the candidate statements
   (a cue, a cancelled cue, or a security concept): the rules' signals (requirement_models.FEATURES)
   and the statement's USE vector; a sentence is a requirement when the rules accept one of its
   statements or the detector puts one at or above the threshold. C and the threshold are chosen by
   an inner leave-one-split-out over the training splits (F1).
2. Ranking: score = lexicon + a * exemplar votes (k nearest labelled requirement sentences of the
   other splits) + b * closeness to the NIST control statements (models/catalogs/
   nist80053-rev5.vectors.npy); a, b, k and the width by grid search for top-1 + top-3 on the
   training splits (of equal scores, the smallest a + b: closest to the lexicon), each training
   sentence voted on by the exemplars of the other training splits.

--write fits on all four splits and writes nlp/data/requirement_model.json and
nlp/data/requirement_exemplars.{json,npy}.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from incident_brief.config import NlpSettings
from incident_brief.models.catalogs import load_catalog
from incident_brief.nlp.analysis import Analyzer
from incident_brief.nlp.embeddings import UseEmbedder
from incident_brief.nlp.requirement_models import (
    CONTROL_VECTORS_PATH,
    EXEMPLAR_VECTORS_PATH,
    EXEMPLARS_PATH,
    FEATURES,
    MODEL_PATH,
    RankingWeights,
    combine,
    control_similarities,
    exemplar_votes,
)
from incident_brief.nlp.requirements import (
    CUE_PRIORITY,
    ConceptLexicon,
    ControlCatalog,
    CueLexicon,
    RequirementFinder,
    _sentences,
)

DATA = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "requirements"
SPLITS = ("dev", "test", "test2", "test3")  # tuning data; test4 is held out and never read here
C_GRID = (0.1, 0.3, 1.0, 3.0)
THRESHOLDS = tuple(np.round(np.arange(0.3, 0.95, 0.05), 2))
GRID = {
    "exemplars": (0.0, 0.25, 0.5, 1.0, 2.0),
    "controls": (0.0, 0.25, 0.5),
    "neighbours": (3, 5, 10),
    "width": (0.05, 0.1, 0.2),
}


@dataclass
class Row:
    """One candidate statement of one sentence."""

    item: int
    features: np.ndarray
    vector: np.ndarray
    accepted: bool
    lexicon: dict[str, float]


@dataclass
class Sentence:
    id: str
    split: str
    lang: str
    text: str
    requirement: bool
    controls: list[str]
    vector: np.ndarray | None = None


def load() -> list[Sentence]:
    sentences = []
    for split in SPLITS:
        for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            if line:
                item = json.loads(line)
                sentences.append(
                    Sentence(
                        item["id"],
                        split,
                        item["lang"],
                        item["text"],
                        item["requirement"],
                        item.get("controls", []),
                    )
                )
    return sentences


def rules_finders() -> dict[str, RequirementFinder]:
    """The component without its learned parts, per language."""
    lexicon, catalog = ConceptLexicon.load(), ControlCatalog.load()
    vendors = {p.name: p.vendor for p in load_catalog(None).products}
    return {
        lang: RequirementFinder(lang, CueLexicon.load(lang), lexicon, catalog, vendors)
        for lang in ("de", "en")
    }


def rows(analyzer: Analyzer, sentences: list[Sentence], embedder: UseEmbedder) -> list[Row]:
    """The rules' view of every candidate statement."""
    found: list[Row] = []
    texts: list[str] = []
    finders = rules_finders()
    for index, sentence in enumerate(sentences):
        nlp = analyzer.pipelines.get(sentence.lang).nlp
        finder = finders[sentence.lang]
        with nlp.select_pipes(disable=["incident_requirements"]):
            doc = nlp(sentence.text)
        text = doc.text
        for statement in finder._statements(text, doc._.quotes or [], _sentences(doc, len(text))):
            signals = finder.signals(statement, with_concepts=True)
            if not (signals.accepted or signals.candidate(statement)):
                continue
            cues = list(signals.cues)
            lexicon: dict[str, float] = {}
            if cues and signals.concepts:
                cue = min(cues, key=lambda c: (CUE_PRIORITY.index(c.kind), c.start))
                for group in finder._items(
                    statement.text, cue, finder._by_role(statement.text, cue, list(signals.concepts))
                ):
                    for control, score in finder.lexicon_scores(group).items():
                        lexicon[control] = max(lexicon.get(control, 0.0), score)
            elif signals.concepts:
                lexicon = finder.lexicon_scores(list(signals.concepts))
            found.append(
                Row(index, signals.features(statement, sentence.lang), None, signals.accepted, lexicon)
            )
            texts.append(statement.text)
    for row, vector in zip(found, embedder.embed(texts), strict=True):
        row.vector = vector
    return found


# --- detection -------------------------------------------------------------------------------------------


def fit_detector(rows_: list[Row], labels: np.ndarray, c: float, with_vector: bool) -> LogisticRegression:
    x = np.vstack([np.hstack([r.features, r.vector if with_vector else 0 * r.vector]) for r in rows_])
    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, labels)


def sentence_predictions(model, rows_: list[Row], threshold: float, with_vector: bool) -> dict[int, bool]:
    predicted: dict[int, bool] = {}
    if not rows_:
        return predicted
    x = np.vstack([np.hstack([r.features, r.vector if with_vector else 0 * r.vector]) for r in rows_])
    probabilities = model.predict_proba(x)[:, 1] if model is not None else np.zeros(len(rows_))
    for row, p in zip(rows_, probabilities, strict=True):
        predicted[row.item] = predicted.get(row.item, False) or row.accepted or bool(p >= threshold)
    return predicted


def f1(predicted: dict[int, bool], sentences: list[Sentence], items: list[int]) -> tuple[float, float, float]:
    tp = sum(predicted.get(i, False) and sentences[i].requirement for i in items)
    fp = sum(predicted.get(i, False) and not sentences[i].requirement for i in items)
    fn = sum(not predicted.get(i, False) and sentences[i].requirement for i in items)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def choose_detector(sentences, rows_, splits, with_vector) -> tuple[float, float]:
    """C and threshold by leave-one-split-out over `splits` (F1 pooled over the inner folds)."""
    best = (-1.0, 1.0, 0.5)
    for c in C_GRID:
        pooled = {t: {} for t in THRESHOLDS}
        for held in splits:
            train = [
                r for r in rows_ if sentences[r.item].split in splits and sentences[r.item].split != held
            ]
            test = [r for r in rows_ if sentences[r.item].split == held]
            model = fit_detector(
                train, np.array([sentences[r.item].requirement for r in train]), c, with_vector
            )
            for t in THRESHOLDS:
                pooled[t].update(sentence_predictions(model, test, t, with_vector))
        items = [i for i, s in enumerate(sentences) if s.split in splits]
        for t in THRESHOLDS:
            score = f1(pooled[t], sentences, items)[2]
            if score > best[0] + 1e-9:
                best = (score, c, float(t))
    return best[1], best[2]


# --- ranking ---------------------------------------------------------------------------------------------


def lexicon_of(rows_: list[Row], item: int, detected: dict[int, bool]) -> dict[str, float] | None:
    """The sentence's lexicon scores when detected (max over its statements), None when missed."""
    if not detected.get(item, False):
        return None
    scores: dict[str, float] = {}
    for row in rows_:
        if row.item == item:
            for control, score in row.lexicon.items():
                scores[control] = max(scores.get(control, 0.0), score)
    return scores


def ranked(scores: dict[str, float]) -> list[str]:
    return [c for c, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def rank_hits(
    sentences, items, lexicons, exemplar_items, weights: RankingWeights | None, control_vectors, control_ids
) -> tuple[int, int]:
    top1 = top3 = 0
    for i in items:
        lexicon = lexicons.get(i)
        if lexicon is None:
            continue
        scores = lexicon
        if weights is not None:
            others = [j for j in exemplar_items if sentences[j].split != sentences[i].split]
            vector = sentences[i].vector
            matrix = (
                np.vstack([sentences[j].vector for j in others]) if others else np.zeros((0, len(vector)))
            )
            votes = exemplar_votes(
                matrix @ vector, [tuple(sentences[j].controls) for j in others], weights.neighbours
            )
            nearest = control_similarities(control_vectors @ vector, control_ids, weights.width)
            scores = combine(lexicon, votes, nearest, weights)
        order = ranked(scores)
        gold = set(sentences[i].controls)
        top1 += bool(set(order[:1]) & gold)
        top3 += bool(set(order[:3]) & gold)
    return top1, top3


def choose_weights(sentences, items, lexicons, control_vectors, control_ids) -> RankingWeights:
    best: tuple[tuple[int, int], RankingWeights] | None = None
    exemplar_items = [i for i in items if sentences[i].requirement]
    for a, b, k, w in itertools.product(*GRID.values()):
        weights = RankingWeights(1.0, a, b, k, w)
        top1, top3 = rank_hits(
            sentences, exemplar_items, lexicons, exemplar_items, weights, control_vectors, control_ids
        )
        key = (top3 + top1, -(a + b))  # both accuracies count; of equals, the one closest to the lexicon
        if best is None or key > best[0]:
            best = (key, weights)
    return best[1]


# --- cross-validation ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help="fit on all tuning splits and write the model files"
    )
    parser.add_argument("--no-vector", action="store_true", help="detector on the rule signals only")
    args = parser.parse_args(argv)
    with_vector = not args.no_vector
    sentences = load()
    analyzer = Analyzer(NlpSettings())
    embedder = UseEmbedder()
    for sentence, vector in zip(sentences, embedder.embed([s.text for s in sentences]), strict=True):
        sentence.vector = vector
    candidates = rows(analyzer, sentences, embedder)
    catalog = json.loads(
        (Path(CONTROL_VECTORS_PATH).parent / "nist80053-rev5.json").read_text(encoding="utf-8")
    )
    control_ids = [c["id"] for c in catalog["controls"]]
    control_vectors = np.load(CONTROL_VECTORS_PATH).astype(np.float32)

    rules_detected = sentence_predictions(None, candidates, 2.0, False)
    learned_detected: dict[int, bool] = {}
    lexicons_rules: dict[int, dict | None] = {}
    lexicons_learned: dict[int, dict | None] = {}
    ranking_weights: dict[str, RankingWeights] = {}
    detector_choice: dict[str, tuple[float, float]] = {}
    for held in SPLITS:
        train_splits = tuple(s for s in SPLITS if s != held)
        c, threshold = choose_detector(sentences, candidates, train_splits, with_vector)
        detector_choice[held] = (c, threshold)
        train = [r for r in candidates if sentences[r.item].split != held]
        model = fit_detector(train, np.array([sentences[r.item].requirement for r in train]), c, with_vector)
        learned_detected.update(
            sentence_predictions(
                model, [r for r in candidates if sentences[r.item].split == held], threshold, with_vector
            )
        )
    for i in range(len(sentences)):
        lexicons_rules[i] = lexicon_of(candidates, i, rules_detected)
        lexicons_learned[i] = lexicon_of(candidates, i, learned_detected)
    for held in SPLITS:
        train_items = [i for i, s in enumerate(sentences) if s.split != held]
        ranking_weights[held] = choose_weights(
            sentences, train_items, lexicons_rules, control_vectors, control_ids
        )

    print("grouped CV, leave one split out (the rules were fitted on dev, test, test2: only test3 is unseen)")
    print(
        "fold   lang  sents reqs | rules P    R    F1   top1 top3 | learned P  R    F1   top1 top3 "
        "| C, thr; a, b, k, width"
    )
    for held in (*SPLITS, "all"):
        for language in ("de", "en", "all"):
            items = [
                i
                for i, s in enumerate(sentences)
                if (held == "all" or s.split == held) and (language == "all" or s.lang == language)
            ]
            gold = [i for i in items if sentences[i].requirement]
            rp, rr, rf = f1(rules_detected, sentences, items)
            lp, lr, lf = f1(learned_detected, sentences, items)
            r1, r3 = rank_hits(sentences, gold, lexicons_rules, [], None, control_vectors, control_ids)
            l1 = l3 = 0
            for split in SPLITS if held == "all" else (held,):
                part = [i for i in gold if sentences[i].split == split]
                exemplar_items = [i for i, s in enumerate(sentences) if s.split != split and s.requirement]
                h1, h3 = rank_hits(
                    sentences,
                    part,
                    lexicons_learned,
                    exemplar_items,
                    ranking_weights[split],
                    control_vectors,
                    control_ids,
                )
                l1, l3 = l1 + h1, l3 + h3
            n = max(len(gold), 1)
            choice = ""
            if held != "all" and language == "all":
                w = ranking_weights[held]
                c, threshold = detector_choice[held]
                choice = f"{c}, {threshold}; {w.exemplars}, {w.controls}, {w.neighbours}, {w.width}"
            print(
                f"{held:6} {language:5} {len(items):5} {len(gold):4} | {rp:.2f} {rr:.2f} {rf:.2f} "
                f"{r1 / n:.2f} {r3 / n:.2f} |   {lp:.2f} {lr:.2f} {lf:.2f} {l1 / n:.2f} {l3 / n:.2f} "
                f"| {choice}"
            )
    if args.write:
        write(sentences, candidates, with_vector, control_vectors, control_ids, lexicons_rules)


def write(sentences, candidates, with_vector, control_vectors, control_ids, lexicons) -> None:
    c, threshold = choose_detector(sentences, candidates, SPLITS, with_vector)
    model = fit_detector(
        candidates, np.array([sentences[r.item].requirement for r in candidates]), c, with_vector
    )
    weights = choose_weights(sentences, list(range(len(sentences))), lexicons, control_vectors, control_ids)
    exemplars = [s for s in sentences if s.requirement]
    MODEL_PATH.write_text(
        json.dumps(
            {
                "about": (
                    "Written by models/recipes/requirements/train.py --write: detector = logistic "
                    "regression (scikit-learn, class_weight balanced) over the candidate statements of the "
                    f"tuning splits {', '.join(SPLITS)} of benchmarks/data/requirements, features "
                    f"{list(FEATURES)} then the 512 USE dimensions; C and threshold by leave-one-split-out "
                    "F1. Ranking = (lexicon + exemplars * exemplar votes + controls * control-statement "
                    "closeness) / sum of weights; weights, k and width by grid search for top-1 + top-3 over "
                    "the same splits (exemplars from the other splits; of equal scores the smallest weights)."
                ),
                "detector": {
                    "C": c,
                    "threshold": threshold,
                    "intercept": float(model.intercept_[0]),
                    "coef": [round(float(x), 6) for x in model.coef_[0]],
                },
                "ranking": {
                    "lexicon": weights.lexicon,
                    "exemplars": weights.exemplars,
                    "controls": weights.controls,
                    "neighbours": weights.neighbours,
                    "width": weights.width,
                },
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    EXEMPLARS_PATH.write_text(
        json.dumps(
            {
                "source": (
                    "benchmarks/data/requirements (dev, test, test2, test3): sentences written for this "
                    "project, gold controls read off the NIST control statements"
                ),
                "exemplars": [
                    {"id": f"{s.split}:{s.id}", "lang": s.lang, "text": s.text, "controls": s.controls}
                    for s in exemplars
                ],
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    np.save(EXEMPLAR_VECTORS_PATH, np.vstack([s.vector for s in exemplars]).astype(np.float16))
    print(
        f"wrote {MODEL_PATH} (C {c}, threshold {threshold}, ranking {weights}) and {len(exemplars)} exemplars"
    )


if __name__ == "__main__":
    main()
