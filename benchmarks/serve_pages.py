"""Review app speed (issue 8): server time of the incident list, incident pages and an article page.

    python benchmarks/serve_pages.py [--db PATH] [--articles 100000] [--incidents 10000] [--requests 50]

Target: the incident list and the incident page render in under 200 ms server time with 10,000
incidents and 100,000 articles. `--db PATH` reuses that database when it exists, else generates it there
(benchmarks/review_scale_store.py: synthetic, analysed, clustered and briefed incidents; minutes); without
it the database is generated in a temporary folder and deleted afterwards.

Each page kind is requested through Flask's test client (`create_app(...).test_client()`): the time is
the app's (routing, SQLite, Jinja2) plus the test client's small overhead, without a network or a
browser. Three warm-up requests, then `--requests` timed ones; printed: p50, p90, p99 and max in ms,
the page size, the database size, the generation time, peak RSS and the load average. Once the app is
made, its objects leave the garbage collector's full scans (gc.freeze), as `brief serve` does at start.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))  # benchmarks share their generators

from process_stats import cpu_model  # noqa: E402
from review_scale_store import ACTORS, generate  # noqa: E402

from incident_brief.corpus.store import Store  # noqa: E402
from incident_brief.review.app import create_app  # noqa: E402

TARGET_MS = 200


def page_kinds(db: Path) -> list[tuple[str, str]]:
    """(name, URL) of each page kind timed, with incidents and values chosen from the database."""
    with Store(db, readonly=True) as store:
        sizes = store.query("SELECT incident_id, size FROM incident_stats ORDER BY size, incident_id")
        small, median, largest = sizes[0], sizes[len(sizes) // 2], sizes[-1]
        p99, p999 = sizes[len(sizes) * 99 // 100], sizes[len(sizes) * 999 // 1000]
        total = len(sizes)
        middle = store.query(
            "SELECT substr(published, 1, 8) FROM articles ORDER BY published LIMIT 1 OFFSET "
            "(SELECT count(*) / 2 FROM articles)"
        )[0][0]  # "2026-05-": a month of reports in the middle of the year
        org = store.query("SELECT title FROM incidents WHERE id = ?", (median["incident_id"],))[0][0]
        rare_actor = store.query("SELECT actor FROM article_actors GROUP BY actor ORDER BY count(*) LIMIT 1")[
            0
        ][0]
        evidence_article, quote = _quoted_article(store, median["incident_id"])
    deep = max(1, total // 50 - 5)

    def listing(**args) -> str:
        return "/?" + urlencode(args) if args else "/"

    since, until = middle + "01", middle + "28"
    company = org.removeprefix("Cyberangriff auf ")  # the generator's incident titles
    return [
        ("list: default", listing()),
        ("list: page 2", listing(page=2)),
        (f"list: page {deep} (deep)", listing(page=deep)),
        ("list: search 'ransomware' (common word)", listing(q="ransomware")),
        (f"list: search {company!r} (a company)", listing(q=company)),
        ("list: search, no match", listing(q="zzyzxquux")),
        ("list: language fr", listing(lang="fr")),
        (f"list: actor {ACTORS[0]} (most incidents)", listing(actor=ACTORS[0])),
        (f"list: actor {rare_actor} (fewest)", listing(actor=rare_actor)),
        ("list: status approved", listing(status="approved")),
        ("list: status new", listing(status="new")),
        (f"list: dates {since}..{until}", listing(since=since, until=until)),
        ("list: sort by sources", listing(sort="sources")),
        ("list: search + language + sort", listing(q="ransomware", lang="de", sort="sources")),
        (f"incident: smallest ({small['size']} article)", f"/incidents/{small['incident_id']}"),
        (f"incident: median ({median['size']} articles)", f"/incidents/{median['incident_id']}"),
        (f"incident: 99th percentile ({p99['size']} articles)", f"/incidents/{p99['incident_id']}"),
        (f"incident: 99.9th percentile ({p999['size']} articles)", f"/incidents/{p999['incident_id']}"),
        (f"incident: largest ({largest['size']} articles)", f"/incidents/{largest['incident_id']}"),
        ("article: evidence page", f"/articles/{evidence_article}?hl={quote[0]}-{quote[1]}"),
    ]


def _quoted_article(store: Store, incident_id: str) -> tuple[int, tuple[int, int]]:
    """An article of the incident with a quote, and the quote's offsets: what a click on evidence opens."""
    for row in store.query(
        "SELECT n.article_id, n.result FROM analyses n "
        "JOIN incident_members m ON m.article_id = n.article_id "
        "WHERE m.incident_id = ? ORDER BY n.article_id",
        (incident_id,),
    ):
        quotes = json.loads(row["result"]).get("quotes") or []
        if quotes:
            return row["article_id"], (quotes[0]["start"], quotes[0]["end"])
    row = store.query("SELECT article_id FROM incident_members WHERE incident_id = ?", (incident_id,))[0]
    return row[0], (0, 10)


def time_pages(db: Path, kinds: list[tuple[str, str]], requests: int, warmup: int) -> list[dict]:
    app = create_app(db, reviewer="benchmark")
    client = app.test_client()
    gc.freeze()  # as review/serve.py does before serving
    results = []
    for name, url in kinds:
        times = []
        for n in range(warmup + requests):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            if n >= warmup:
                times.append(1000 * elapsed)
        p50, p90, p99 = np.percentile(times, [50, 90, 99])
        results.append(
            {"page": name, "url": url, "p50": p50, "p90": p90, "p99": p99, "max": max(times),
             "kb": len(response.data) / 1024}
        )  # fmt: skip
        print(
            f"{name:<52} {p50:7.1f} {p90:7.1f} {p99:7.1f} {max(times):7.1f} {len(response.data) / 1024:8.0f}"
            + ("  OVER" if p90 > TARGET_MS and not name.startswith("article") else ""),
            flush=True,
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="database to reuse, or to generate when it does not exist")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page kind")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", help="time only the page kinds whose name contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="serve-") as scratch:
        db = args.db or Path(scratch) / "review.db"
        if db.exists():
            print(f"reusing {db}")
        else:
            started = time.perf_counter()
            generated = generate(
                db, articles=args.articles, incidents=args.incidents, seed=args.seed,
                progress=lambda message: print(message, file=sys.stderr),
            )  # fmt: skip
            phases = ", ".join(f"{k} {v:.0f} s" for k, v in generated.seconds.items())
            print(f"generated in {time.perf_counter() - started:.0f} s ({phases})")
        with Store(db, readonly=True) as store:
            counts = store.query(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM incidents), "
                "(SELECT count(*) FROM review_briefs), (SELECT count(*) FROM incident_decisions), "
                "(SELECT count(*) FROM review_state)"
            )[0]
        print(
            f"database {db.stat().st_size / 1e6:.0f} MB: {counts[0]} articles, {counts[1]} incidents, "
            f"{counts[2]} briefs, {counts[3]} decisions, {counts[4]} reviewed incidents"
        )
        print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average before {_load()}")
        kinds = [k for k in page_kinds(db) if not args.only or args.only in k[0]]
        print(f"\n{args.requests} requests each after {args.warmup} warm-ups; server time in ms "
              f"(target p90 < {TARGET_MS} ms for list and incident pages)")  # fmt: skip
        print(f"{'page':<52} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'page kB':>8}")
        results = time_pages(db, kinds, args.requests, args.warmup)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MB; load average after {_load()}")
    over = [r["page"] for r in results if r["p90"] > TARGET_MS and not r["page"].startswith("article")]
    print("all list and incident pages under target" if not over else f"over target: {', '.join(over)}")
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
