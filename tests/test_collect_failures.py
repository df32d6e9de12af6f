"""Bad sources during collect: each fails with a reason, the rest is stored, nothing stored is lost."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from click.testing import CliRunner
from loopback import Reply

from incident_brief.cli import main

PAGE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title} | Testwache</title>
<meta property="article:published_time" content="2026-11-{day:02d}T08:00:00+01:00"></head><body>
<nav><a href="/">Start</a></nav><article><h1>{title}</h1>
<p>Der Energieversorger {n} hat am Montag einen Cyberangriff auf seine Verwaltungssysteme gemeldet.
Nach Angaben des Unternehmens sind keine Kundendaten betroffen, die Netzsteuerung arbeite normal weiter.</p>
<p>Der Sicherheitschef sagte, man habe die betroffenen Server vom Netz genommen und Strafanzeige erstattet.
Das Bundesamt für Sicherheit in der Informationstechnik unterstütze die Aufarbeitung des Vorfalls {n}.</p>
<p>Fachleute fordern seit Jahren, dass Versorger ihre Fernzugänge mit einem zweiten Faktor absichern
müssen.</p>
</article><footer>Impressum</footer></body></html>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>x</title><link>http://127.0.0.1/x</link></item></channel></rss>"""


def _page(n: int) -> bytes:
    return PAGE.format(title=f"Angriff auf Versorger Nummer {n}", n=n, day=1 + n % 28).encode()


def _feed(server, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Meldung {p}</title><link>{server.url(p)}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()
    )


def _collect(tmp_path, *args):
    env = {
        "BRIEF_COLLECT_WORKERS": "1",
        "BRIEF_FETCH_PER_HOST_DELAY": "0",
        "BRIEF_FETCH_BACKOFF": "0.01",
        "BRIEF_FETCH_TIMEOUT": "2",
    }
    result = CliRunner(env=env).invoke(
        main, ["--db", str(tmp_path / "brief.db"), "collect", "--json", *args], catch_exceptions=False
    )
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_failing_pages_are_reported_and_the_rest_stored(server, tmp_path):
    for n in range(3):
        server.route(f"/ok{n}.html", body=_page(n))
    server.route("/gone.html", status=410, body=b"gone")
    server.route("/broken.html", status=500, body=b"oops")
    server.route("/image.html", body=b"\x89PNG....", headers={"Content-Type": "image/png"})
    server.route("/empty.html", body=b"")
    server.route(
        "/feed.xml",
        body=_feed(
            server,
            [
                "/ok0.html",
                "/ok1.html",
                "/ok2.html",
                "/gone.html",
                "/broken.html",
                "/image.html",
                "/empty.html",
                "/missing.html",
            ],
        ),
        headers={"Content-Type": "application/rss+xml"},
    )
    result, summary = _collect(tmp_path, "--feed", server.url("/feed.xml"), "--allow-private")
    assert result.exit_code == 1
    assert summary["totals"]["new"] == 3
    assert summary["totals"]["failed"] == {
        "http-410": 1,
        "http-500": 1,
        "content-type": 1,
        "empty": 1,
        "http-404": 1,
    }


def test_hostile_feeds_fail_cleanly_and_keep_stored_articles(server, tmp_path):
    server.route("/ok.html", body=_page(1))
    server.route(
        "/good.xml", body=_feed(server, ["/ok.html"]), headers={"Content-Type": "application/rss+xml"}
    )
    result, _ = _collect(tmp_path, "--feed", server.url("/good.xml"), "--allow-private")
    assert result.exit_code == 0
    server.route("/bomb.xml", body=BILLION_LAUGHS, headers={"Content-Type": "application/rss+xml"})
    server.route(
        "/notxml.xml",
        body=b"\x00\x01 binary garbage, not XML",
        headers={"Content-Type": "application/rss+xml"},
    )
    server.route("/page.xml", body=b"<html><body>Moved to our new site!</body></html>")
    result, summary = _collect(
        tmp_path,
        "--feed",
        server.url("/bomb.xml"),
        "--feed",
        server.url("/notxml.xml"),
        "--feed",
        server.url("/page.xml"),
        "--allow-private",
    )
    assert result.exit_code == 1
    assert summary["totals"]["failed"] == {"bad-feed": 2, "content-type": 1}
    assert summary["articles_in_store"] == 1


def test_sitemap_index_pointing_to_itself_terminates(server, tmp_path):
    server.route("/ok.html", body=_page(2))
    index = (
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{server.url('/index.xml')}</loc></sitemap>"
        f"<sitemap><loc>{server.url('/pages.xml')}</loc></sitemap></sitemapindex>"
    ).encode()
    pages = (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{server.url('/ok.html')}</loc></url></urlset>"
    ).encode()
    server.route("/index.xml", body=index, headers={"Content-Type": "application/xml"})
    server.route("/pages.xml", body=pages, headers={"Content-Type": "application/xml"})
    result, summary = _collect(tmp_path, "--sitemap", server.url("/index.xml"), "--allow-private")
    assert result.exit_code == 0, result.output
    assert summary["totals"]["new"] == 1
    assert len(server.hits("/index.xml")) == 1


def test_robots_disallow_all_fetches_nothing(server, tmp_path):
    server.route("/robots.txt", body=b"User-agent: *\nDisallow: /\n", headers={"Content-Type": "text/plain"})
    server.route("/ok.html", body=_page(3))
    result, summary = _collect(tmp_path, "--url", server.url("/ok.html"), "--allow-private")
    assert result.exit_code == 1
    assert summary["totals"]["failed"] == {"robots": 1}
    assert server.hits("/ok.html") == []


def test_private_addresses_are_refused_by_default(server, tmp_path):
    server.route("/ok.html", body=_page(4))
    result, summary = _collect(tmp_path, "--url", server.url("/ok.html"))
    assert result.exit_code == 1
    assert summary["totals"]["failed"] == {"private-address": 1}
    assert server.requests == []


def test_unreachable_hosts(tmp_path):
    result, summary = _collect(
        tmp_path,
        "--url",
        "http://127.0.0.1:9/x.html",
        "--url",
        "http://no-such-host.invalid/x.html",
        "--allow-private",
    )
    assert result.exit_code == 1
    assert summary["totals"]["failed"] == {"connection-refused": 1, "dns": 1}


def _slow_site(server, count: int) -> str:
    for n in range(count):
        server.route(f"/slow{n}.html", reply=Reply(body=_page(n), delay=0.15))
    server.route(
        "/feed.xml",
        body=_feed(server, [f"/slow{n}.html" for n in range(count)]),
        headers={"Content-Type": "application/rss+xml"},
    )
    return server.url("/feed.xml")


def test_interrupt_loses_nothing_and_the_next_run_resumes(server, tmp_path):
    feed = _slow_site(server, 40)
    db = tmp_path / "brief.db"
    env = {
        **os.environ,
        "BRIEF_COLLECT_WORKERS": "1",
        "BRIEF_FETCH_PER_HOST_DELAY": "0",
        "BRIEF_FETCH_PER_HOST_CONCURRENCY": "1",
    }
    command = [
        sys.executable,
        "-m",
        "incident_brief.cli",
        "--db",
        str(db),
        "collect",
        "--feed",
        feed,
        "--allow-private",
        "--json",
    ]
    for stop in (signal.SIGINT, signal.SIGTERM):
        before = _count(db)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if _count(db) >= before + 3:
                break
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 130, err
        assert b"Traceback" not in err
        assert json.loads(out)["interrupted"] is True
        connection = sqlite3.connect(db)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
        assert before + 3 <= _count(db) < 40
    finished = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert _count(db) == 40
    assert (
        json.loads(finished.stdout)["totals"]["new"] == 40 - json.loads(finished.stdout)["totals"]["cached"]
    )


def _count(db) -> int:
    if not db.exists():
        return 0
    connection = sqlite3.connect(db)
    try:
        return connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        connection.close()
