"""What every brief must hold, whatever the corpus: each statement cites evidence that exists, and the summary
does not say one thing twice.

- every summary sentence, timeline entry, quote, requirement, money figure and contradicting value cites an
  article that exists, with character offsets inside its text; where the brief shows the cited words
  (an extractive summary sentence, a timeline entry's first report, a quote, a money figure, a contradicting
  value) they are in the cited characters (cleaned as the brief cleans them). A quote's words are the cited
  words in order: a quote split by its attribution ('"…," he said, "…"') or running over paragraphs is shown
  joined, without the attribution and the repeated quotation marks between its parts;
- no two summary sentences are above MAX_SUMMARY_COSINE apart in the multilingual embedding (a sentence and
  its translation never both appear).

The tests check the demo-like fixtures with it, benchmarks/brief_invariants.py the ECB+ incidents.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from incident_brief.briefs.model import Brief, Evidence
from incident_brief.briefs.text import clean_text

MAX_SUMMARY_COSINE = 0.8
# Vectors are stored as float16 for the selection; recomputed in float32 they differ in the third decimal.
COSINE_SLACK = 0.005
WORD_EDGES = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Violation:
    incident_id: str
    kind: str  # "summary", "timeline", "quote", "requirement", "money", "contradiction", "summary pair"
    detail: str


@dataclass
class InvariantCounts:
    checked: Counter[str] = field(default_factory=Counter)  # items checked, by kind
    violations: list[Violation] = field(default_factory=list)

    def add(self, other: InvariantCounts) -> None:
        self.checked.update(other.checked)
        self.violations += other.violations

    def violating(self) -> Counter[str]:
        return Counter(v.kind for v in self.violations)


def cited_evidence(brief: Brief) -> Iterator[tuple[str, Evidence, str | None]]:
    """Every (kind, evidence, text the brief shows for it) of a brief; None where it shows other words."""
    extractive = brief.method == "extractive"
    for sentence in brief.summary:
        for evidence in sentence.evidence:
            yield "summary", evidence, sentence.text if extractive else None
    for entry in brief.timeline:
        # an event several reports date is shown in the first report's words; the others also cite it
        first, *others = entry.evidence
        yield "timeline", first, entry.sentence
        for evidence in others:
            yield "timeline", evidence, None
    for group in brief.quotes:
        for report in group.reports:
            yield "quote", report.evidence, report.text
    for requirement in brief.requirements:
        for evidence in requirement.evidence:
            yield "requirement", evidence, None
    for money in brief.key_facts.money:
        yield "money", money.evidence, money.text
    for contradiction in brief.confidence.contradictions:
        for value in contradiction.values:
            yield "contradiction", value.evidence, value.text


def _holds(kind: str, shown: str, cited: str) -> bool:
    """The shown words in the cited characters (a quote may lose the comma before "said")."""
    if shown.rstrip(",;: ") in cited:
        return True
    if kind != "quote":
        return False
    remaining = iter(_words(cited))
    return all(word in remaining for word in _words(shown))  # each word found after the one before


def _words(text: str) -> list[str]:
    return [w for w in (WORD_EDGES.sub("", word) for word in text.split()) if w]


def check_brief(
    brief: Brief,
    text_of: Callable[[int], str | None],
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> InvariantCounts:
    """The brief's cited evidence against the article texts (`text_of(article_id)`, None for a missing
    article) and, given an embedder, its summary sentences pairwise."""
    counts = InvariantCounts()
    for kind, evidence, shown in cited_evidence(brief):
        counts.checked[kind] += 1
        text = text_of(evidence.article_id)
        where = f"article {evidence.article_id}, characters {evidence.start}-{evidence.end}"
        if text is None:
            problem = f"{where}: no such article"
        elif not 0 <= evidence.start < evidence.end <= len(text):
            problem = f"{where}: outside the text ({len(text)} characters)"
        elif shown is not None and not _holds(kind, shown, clean_text(text[evidence.start : evidence.end])):
            problem = f"{where}: does not hold {shown[:60]!r}"
        else:
            continue
        counts.violations.append(Violation(brief.incident_id, kind, problem))
    if embed is not None and len(brief.summary) > 1:
        vectors = embed([s.text for s in brief.summary])
        for a, b in itertools.combinations(range(len(vectors)), 2):
            counts.checked["summary pair"] += 1
            cosine = float(vectors[a] @ vectors[b])
            if cosine > MAX_SUMMARY_COSINE + COSINE_SLACK:
                detail = f"sentences {a + 1} and {b + 1}: cosine {cosine:.3f}"
                counts.violations.append(Violation(brief.incident_id, "summary pair", detail))
    return counts
