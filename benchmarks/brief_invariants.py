"""Brief invariants on the ECB+ incidents (../shared/data/clustering): every statement cites evidence that
exists, and no two summary sentences say the same thing.

    python benchmarks/brief_invariants.py [--data DIR] [--topics N] [--cache STORE] [--show N]

The 496 English ECB+ articles (42 gold incidents, 21 topics of two similar events) go through the real
pipeline as in benchmarks/clustering_ecb.py (its `prepare`: a SQLite store, `brief analyze`, embeddings);
each gold incident is briefed with `BriefBuilder` (English, extractive, the multilingual USE) and checked
with `briefs.invariants.check_brief`: every summary sentence, timeline entry, quote, requirement, money
figure and contradicting value cites an existing article at offsets inside its text, holding the words the
brief shows; no two summary sentences above 0.8 cosine. Gold incidents, not clustered ones, so the figures
do not move with the clustering. `--topics N` takes the N smallest topics (the test runs two).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from clustering_ecb import DATA, prepare

from incident_brief.briefs.build import BriefBuilder, IncidentInput
from incident_brief.briefs.invariants import InvariantCounts, check_brief
from incident_brief.briefs.vectors import SentenceIndex
from incident_brief.corpus.store import Store
from incident_brief.nlp.embeddings import Embedder, load_embedder

GENERATED_AT = "2026-11-28T00:00:00+00:00"
EMBEDDER = "use-multilingual"
KINDS = ("summary", "summary pair", "timeline", "quote", "requirement", "money", "contradiction")


def load_ecb(data: Path, topics: int | None = None) -> tuple[list[dict], dict[str, str]]:
    """The ECB+ records (all, or the `topics` smallest topics) and their gold incident by record id."""
    records = [json.loads(line) for line in (data / "ecbplus-dev.jsonl").open(encoding="utf-8")]
    gold = {
        r["id"]: r["cluster"]
        for r in map(json.loads, (data / "ecbplus-dev.gold.jsonl").open(encoding="utf-8"))
    }
    if topics is not None:
        sizes = Counter(_topic(r["id"]) for r in records)
        kept = {topic for topic, _ in sorted(sizes.items(), key=lambda item: (item[1], item[0]))[:topics]}
        records = [r for r in records if _topic(r["id"]) in kept]
    return records, gold


def _topic(record_id: str) -> str:
    return record_id.split("_")[0]  # "1_10ecb" is topic 1


def check_incidents(
    path: Path, records: list[dict], gold: dict[str, str], embedder: Embedder
) -> InvariantCounts:
    """Store and analyse the records (skipped where `path` already holds them), brief every gold incident
    and check its invariants."""
    prepare(path, records, EMBEDDER)
    counts = InvariantCounts()
    with Store(path) as store:
        incidents: dict[str, list[int]] = defaultdict(list)
        for row in store.query("SELECT id, external_id FROM articles ORDER BY id"):
            incidents[gold[row["external_id"]]].append(row["id"])
        texts = {row["id"]: row["text"] for row in store.query("SELECT id, text FROM articles")}
        builder = BriefBuilder(store, SentenceIndex(store, embedder), language="en")
        for incident_id, ids in sorted(incidents.items()):
            brief = builder.build(IncidentInput(incident_id, ids), GENERATED_AT)
            if brief is not None:
                counts.add(check_brief(brief, texts.get, embedder.embed))
                counts.checked["brief"] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--topics", type=int, help="only the N smallest topics")
    parser.add_argument("--cache", type=Path, help="keep the analysed store here between runs")
    parser.add_argument("--show", type=int, default=10, metavar="N", help="print the first N violations")
    args = parser.parse_args()
    if not (args.data / "ecbplus-dev.jsonl").is_file():
        print(f"skipped: {args.data} not present")
        return 0
    records, gold = load_ecb(args.data, args.topics)
    with tempfile.TemporaryDirectory(prefix="ecb-briefs-") as workdir:
        started = time.perf_counter()
        counts = check_incidents(
            args.cache or Path(workdir) / "ecb.db", records, gold, load_embedder(EMBEDDER)
        )
        elapsed = time.perf_counter() - started
    violating = counts.violating()
    print(f"{len(records)} ECB+ articles, {counts.checked['brief']} incidents briefed in {elapsed:.0f} s")
    print(f"{'item':<14} {'checked':>8} {'violating':>10}")
    for kind in KINDS:
        print(f"{kind:<14} {counts.checked[kind]:>8} {violating[kind]:>10}")
    for violation in counts.violations[: args.show]:
        print(f"  {violation.incident_id} {violation.kind}: {violation.detail}")
    return 1 if counts.violations else 0


if __name__ == "__main__":
    sys.exit(main())
