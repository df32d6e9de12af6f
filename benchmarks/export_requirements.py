"""Requirement export speed: `brief export requirements` in every format over 10,000 requirements.

    python benchmarks/export_requirements.py [--requirements 10000] [--per-article 4] [--copies 0.1]

Builds a temporary SQLite store through the store API: articles with `--per-article` requirement
records each (statements, requesters, addressees, controls and mitigations drawn with a fixed seed
from small lists, evidence sentences in German and English), plus syndicated copies (`--copies`, a
share of the originals) that repeat their original's requirements and are merged on export. Then,
for each format, one fresh `brief --db DB export requirements --format F --out FILE` process; prints
its wall time, requirements per second, the process' peak memory (PSS and RSS, sampled) and the
output size.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from process_stats import cpu_model, run_measured  # sibling module (benchmarks run as scripts)

from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store

FORMATS = ("jsonl", "csv", "stix", "oscal")
PEOPLE = [
    ("CJ Moses", "PER"),
    ("Katrin Hoffmann", "PER"),
    ("Sarah Whitfield", "PER"),
    ("Jürgen Brandt", "PER"),
]
ORGANISATIONS = ["Amazon", "Microsoft", "Crestline Bank", "Nordmark Cyber Agency", "Halvorsen Shipping"]
DEMANDS = [  # (English statement, German evidence, concepts, controls)
    ("provide near-real-time access to all logs", "nahezu Echtzeit-Zugriff auf alle Protokolle gewährt",
     ["logging", "log-access"], ["AU-6", "AU-12", "SI-4"]),
    ("enforce multi-factor authentication for administrators",
     "Mehr-Faktor-Authentifizierung für Administratoren erzwingt", ["authentication"], ["IA-2(1)", "IA-2"]),
    ("retain security logs for at least twelve months", "Sicherheitsprotokolle zwölf Monate aufbewahrt",
     ["log-retention"], ["AU-11", "AU-4"]),
    ("report security incidents within 24 hours", "Sicherheitsvorfälle binnen 24 Stunden meldet",
     ["incident-reporting"], ["IR-6", "IR-6(1)"]),
    ("patch internet-facing systems within 14 days", "Systeme am Internet binnen 14 Tagen patcht",
     ["patching"], ["SI-2", "RA-5"]),
    ("encrypt customer data at rest", "Kundendaten im Ruhezustand verschlüsselt", ["encryption"],
     ["SC-28", "SC-28(1)"]),
    ("hold suppliers to the same security standards", "Zulieferer an dieselben Sicherheitsstandards bindet",
     ["supplier-assurance"], ["SA-9", "SR-6"]),
]  # fmt: skip
MITIGATIONS = [("M1047", "Audit"), ("M1032", "Multi-factor Authentication"), ("M1051", "Update Software")]
EVIDENCE = {
    "de": "{requester} verlangte, dass {addressee} künftig {demand_de}.",
    "en": "{requester} said {addressee} must {demand} from now on.",
}


def build_store(path: Path, requirements: int, per_article: int, copies: float, seed: int) -> int:
    """Writes the synthetic store; returns how many requirement records it holds."""
    rng = random.Random(seed)
    distinct = stored = 0
    with Store(path) as store, store.transaction() as db:
        for number in range(-(-requirements // per_article)):
            language = "de" if number % 2 else "en"
            records, text = _records(rng, min(per_article, requirements - distinct), language)
            article_id = _write(store, db, number, text, language, records, duplicate_of=None)
            distinct += len(records)
            stored += len(records)
            if rng.random() < copies:
                _write(store, db, f"{number}-copy", text, language, records, duplicate_of=article_id)
                stored += len(records)
    return stored


def _records(rng: random.Random, count: int, language: str) -> tuple[list[dict], str]:
    sentences, records = [], []
    offset = 0
    for index in range(count):
        person, label = rng.choice(PEOPLE)
        addressee = rng.choice(ORGANISATIONS)
        demand, demand_de, concepts, controls = rng.choice(DEMANDS)
        sentence = EVIDENCE[language].format(
            requester=person, addressee=addressee, demand=demand, demand_de=demand_de
        )
        records.append(
            {
                "id": f"r{index + 1}",
                "text": sentence,
                "start": offset,
                "end": offset + len(sentence),
                "statement": f"{addressee} must {demand}",
                "requester": {"text": person.split()[-1], "canonical": person, "kb_id": None},
                "addressee": {"text": addressee, "canonical": addressee, "kb_id": f"org:{addressee.lower()}"},
                "modality": rng.choice(["must", "must", "should"]),
                "polarity": "positive",
                "concepts": concepts,
                "controls": [
                    {"id": c, "title": None, "score": round(0.9 - 0.1 * i, 2)} for i, c in enumerate(controls)
                ],
                "mitigations": [{"id": m, "name": n, "score": 0.7} for m, n in [rng.choice(MITIGATIONS)]],
                "quote_id": None,
                "language": language,
                "confidence": round(rng.uniform(0.6, 0.95), 2),
            }
        )
        sentences.append(sentence)
        offset += len(sentence) + 1
    return records, " ".join(sentences)


def _write(store, db, key, text, language, records, *, duplicate_of) -> int:
    article = Article(
        url=f"https://news.example/{language}/{key}",
        text=text,
        title=f"Security demands, report {key}",
        published="2024-10-31",
        language=language,
        site_name="Example News",
        content_hash=f"hash-{key}",
        duplicate_of=duplicate_of,
        duplicate_kind="exact" if duplicate_of else None,
        fetched_at="2024-11-01T00:00:00+00:00",
    )
    article_id = store.write_article(db, article, url_key=article.url)
    entities = [{"text": p, "label": label, "canonical": p} for p, label in PEOPLE]
    entities += [{"text": o, "label": "ORG", "canonical": o} for o in ORGANISATIONS]
    analysis = {"language": language, "entities": entities, "quotes": [], "requirements": records}
    store.write_analysis(db, article_id, "benchmark", article.content_hash, analysis)
    return article_id


def measure(db: Path, export_format: str, out: Path) -> dict:
    brief = Path(sys.executable).with_name("brief")
    command = [
        str(brief),
        "--db",
        str(db),
        "export",
        "requirements",
        "--format",
        export_format,
        "--out",
        str(out),
    ]
    run = run_measured(command, interval=0.02)
    if run.returncode != 0:
        raise SystemExit(f"{export_format}: exit {run.returncode}: {run.stderr.decode().strip()}")
    seconds, peak_pss, peak_rss = run.seconds, run.peak_pss_kb, run.peak_rss_kb
    count = int(run.stdout.split()[1])  # "wrote N requirements to FILE"
    return {
        "format": export_format,
        "requirements": count,
        "seconds": seconds,
        "per_second": count / seconds,
        "peak_pss_mb": peak_pss / 1024,
        "peak_rss_mb": peak_rss / 1024,
        "output_mb": out.stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requirements", type=int, default=10_000)
    parser.add_argument("--per-article", type=int, default=4)
    parser.add_argument("--copies", type=float, default=0.1, help="share of originals with a syndicated copy")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "requirements.db"
        started = time.perf_counter()
        stored = build_store(db, args.requirements, args.per_article, args.copies, args.seed)
        build_seconds = time.perf_counter() - started
        results = [measure(db, f, Path(folder) / f"requirements.{f}") for f in args.formats]

    if args.json:
        print(json.dumps({"stored_records": stored, "results": results}))
        return
    print(f"CPU: {cpu_model()}")
    print(
        f"store: {stored} requirement records ({args.requirements} distinct, the rest repeated in copies), "
        f"built in {build_seconds:.1f} s"
    )
    print(f"{'format':<7}{'exported':>10}{'seconds':>10}{'req/s':>10}{'PSS MB':>9}{'RSS MB':>9}{'out MB':>9}")
    for r in results:
        print(
            f"{r['format']:<7}{r['requirements']:>10}{r['seconds']:>10.2f}{r['per_second']:>10.0f}"
            f"{r['peak_pss_mb']:>9.0f}{r['peak_rss_mb']:>9.0f}{r['output_mb']:>9.1f}"
        )
    print("(wall time of a fresh `brief` process, start-up and imports included; memory sampled every 20 ms)")


if __name__ == "__main__":
    main()
