"""Collect throughput: 2,000 pages from 20 feeds on loopback hosts, with extraction, dedup and storage.

Prints pages/s and peak memory (the collector and its worker processes together) for a first run, and
the time of a second run over the unchanged sources. Targets (issue 2): >= 25 pages/s, < 400 MB,
second run < 10% of the first.

    python benchmarks/collect_throughput.py [--pages 2000] [--feeds 20]

The sites are served by a separate process on 127.0.0.2 ... 127.0.0.21 (all of 127/8 is loopback on
Linux), one host per feed, so per-host politeness limits apply as they would across real outlets;
the per-host delay is set to 0 (a real 1 s delay would measure the delay, not the collector).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from process_stats import cpu_model, run_measured  # sibling module (benchmarks run as scripts)

WORDS_EN = tuple(
    """
    the attackers gained access to the network through a vulnerable VPN appliance and moved
    laterally before deploying ransomware across servers security researchers said the group had
    exfiltrated data customers were told to reset passwords and enable multi factor authentication
    while investigators examined logs the company said it had notified regulators and law
    enforcement within hours
    """.split()
)
WORDS_DE = tuple(
    """
    die angreifer verschafften sich über eine verwundbare vpn appliance zugang zum netzwerk und
    bewegten sich seitlich bevor sie ransomware auf servern verteilten sicherheitsforscher sagten
    die gruppe habe daten abgezogen kunden sollen passwörter zurücksetzen und die zwei faktor
    authentifizierung aktivieren während ermittler protokolle auswerteten das unternehmen habe die
    behörden binnen stunden informiert
    """.split()
)


PORT = 8431


def make_site(pages: int, feeds: int, seed: int = 7) -> dict[str, dict[str, bytes]]:
    """host -> path -> body: `feeds` hosts, each with /feed.xml and its share of article pages."""
    rng = random.Random(seed)
    sites: dict[str, dict[str, bytes]] = {}
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    per_feed = pages // feeds
    for f in range(feeds):
        host = f"127.0.0.{f + 2}"
        files: dict[str, bytes] = {}
        items = []
        for i in range(per_feed):
            words = WORDS_DE if (f + i) % 2 else WORDS_EN
            lang = "de" if words is WORDS_DE else "en"
            paragraphs = [
                " ".join(rng.choice(words) for _ in range(rng.randint(60, 110))).capitalize() + "."
                for _ in range(rng.randint(5, 8))
            ]
            title = f"Incident report {f}-{i}: " + " ".join(rng.choice(words) for _ in range(6))
            published = start + timedelta(hours=f * per_feed + i)
            path = f"/news/{published:%Y/%m}/report-{f}-{i}.html"
            files[path] = page_html(title, paragraphs, published, lang, host, path).encode("utf-8")
            items.append((title, path, published))
        files["/feed.xml"] = feed_xml(host, items).encode("utf-8")
        files["/robots.txt"] = b"User-agent: *\nDisallow: /admin/\n"
        sites[host] = files
    return sites


def page_html(title: str, paragraphs: list[str], published: datetime, lang: str, host: str, path: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(12))
    related = "".join(
        f'<li><a href="/news/related-{n}.html">Related story number {n}</a></li>' for n in range(6)
    )
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | Bench News</title><link rel="canonical" href="http://{host}:{PORT}{path}">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published.isoformat()}">
</head><body><header><nav><ul>{nav}</ul></nav></header>
<div class="cookie">We use cookies to improve your experience. <button>Accept</button></div>
<main><article><h1>{title}</h1><p class="byline">By Alex Example</p>{body}</article>
<aside><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><p>Imprint · Privacy · Contact · © 2026 Bench News</p></footer></body></html>"""


def feed_xml(host: str, items: list[tuple[str, str, datetime]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>http://{host}:{PORT}{p}</link><guid>http://{host}:{PORT}{p}</guid>"
        f"<pubDate>{format_datetime(d)}</pubDate></item>"
        for t, p, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench {host}</title>'
        f"<link>http://{host}:{PORT}/</link><description>bench</description>{entries}</channel></rss>"
    )


def serve(sites: dict[str, dict[str, bytes]], ready) -> None:
    """Serve each host's files with ETags (so conditional GETs get 304) until killed."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            files = sites.get(self.server.server_address[0], {})
            body = files.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            kind = (
                "application/rss+xml"
                if self.path.endswith(".xml")
                else "text/plain"
                if self.path.endswith(".txt")
                else "text/html; charset=utf-8"
            )
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    servers = []
    for host in sites:
        server = ThreadingHTTPServer((host, PORT), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ready.set()
    threading.Event().wait()


def run_collect(db: Path, feeds: list[str]) -> tuple[float, int, dict]:
    env = {**os.environ, "BRIEF_FETCH_PER_HOST_DELAY": "0"}
    command = [
        sys.executable,
        "-m",
        "incident_brief.cli",
        "--db",
        str(db),
        "collect",
        "--allow-private",
        "--json",
    ]
    for feed in feeds:
        command += ["--feed", feed]
    run = run_measured(command, env=env)
    if run.returncode not in (0, 1):
        raise SystemExit(f"collect failed ({run.returncode}): {run.stderr.decode()[-2000:]}")
    return run.seconds, run.peak_rss_kb, json.loads(run.stdout)  # RSS: the workers share little


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=20)
    args = parser.parse_args()

    sites = make_site(args.pages, args.feeds)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(sites, ready), daemon=True)
    server.start()
    ready.wait(30)
    feeds = [f"http://{host}:{PORT}/feed.xml" for host in sites]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            first, peak, summary = run_collect(db, feeds)
            totals = summary["totals"]
            second, peak2, summary2 = run_collect(db, feeds)
            totals2 = summary2["totals"]
    finally:
        server.terminate()
    pages = totals["fetched"]
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}")
    print(
        f"first run:  {pages} pages fetched, {totals['new']} new, failed {totals['failed']}, {first:.1f} s, "
        f"{pages / first:.1f} pages/s, peak memory {peak / 1024:.0f} MB"
    )
    print(
        f"second run: {totals2['fetched']} fetched, {totals2['new']} new, {totals2['cached']} cached, "
        f"{second:.2f} s ({100 * second / first:.1f}% of the first), peak memory {peak2 / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
