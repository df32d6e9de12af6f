"""Sitemap parsing on fixture files, and index expansion through in-memory and real HTTP fetches."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import httpx
import pytest

from incident_brief.corpus.sitemaps import (
    MAX_SITEMAP_BYTES,
    SitemapEntry,
    SitemapError,
    expand_sitemaps,
    parse_sitemap,
)

SITEMAPS = Path(__file__).parent / "fixtures" / "sitemaps"
FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (SITEMAPS / name).read_bytes()


def urlset(*urls: str) -> bytes:
    items = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'.encode()


def index(*urls: str) -> bytes:
    items = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in urls)
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'.encode()
    )


class DictFetcher:
    """An in-memory fetch callback: serves `documents`, raises for anything else, records every call."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        self.documents = documents
        self.calls: list[str] = []

    async def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        await asyncio.sleep(0)
        if url not in self.documents:
            raise ConnectionError(f"no route to {url}")
        return self.documents[url]


def expand(start_urls: list[str], fetch, **limits) -> tuple[list[SitemapEntry], list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    entries = asyncio.run(
        expand_sitemaps(
            start_urls, fetch, on_error=lambda url, error: errors.append((url, str(error))), **limits
        )
    )
    return entries, errors


# parse_sitemap


def test_urlset_with_lastmod():
    sitemap = parse_sitemap(fixture("urlset.xml"), "https://www.bleepingcomputer.com/sitemap-news.xml")

    assert (sitemap.kind, sitemap.url) == ("urlset", "https://www.bleepingcomputer.com/sitemap-news.xml")
    news = "https://www.bleepingcomputer.com/news/security/"
    assert [(entry.url, entry.lastmod) for entry in sitemap.entries] == [
        (
            news + "lockbit-ransomware-returns-restores-servers-after-police-disruption/",
            "2024-02-25T12:04:00-05:00",
        ),
        (news + "ivanti-warns-of-critical-connect-secure-bug/", "2024-02-09"),  # <loc> padded with whitespace
        (
            news + "change-healthcare-outage-caused-by-alphv-attack/?utm_source=sitemap&ref=1",
            "2024-02-29T18:30:00+00:00",
        ),
        # Another host is kept; an unreadable lastmod is dropped. The relative and ftp: URLs are skipped.
        ("https://www.bleepingcomputer.de/nachrichten/sicherheit/lockbit-kehrt-zurueck/", None),
    ]
    assert all(entry.news_title is None for entry in sitemap.entries)


def test_urlset_without_namespace():
    sitemap = parse_sitemap(fixture("urlset_no_namespace.xml"), "https://www.zataz.com/sitemap.xml")

    assert [(entry.url, entry.lastmod) for entry in sitemap.entries] == [
        ("https://www.zataz.com/piratage-hopital-armentieres/", "2024-02-12T09:00:00+01:00"),
        ("https://www.zataz.com/fuite-de-donnees-france-travail/", None),
    ]


def test_urlset_with_an_odd_namespace():
    content = b"""<urlset xmlns="http://www.google.com/schemas/sitemap/0.84">
      <url><loc>https://www.lemagit.fr/actualites/366570012/Ransomware-Cactus</loc></url></urlset>"""

    sitemap = parse_sitemap(content, "https://www.lemagit.fr/sitemap.xml")

    assert [entry.url for entry in sitemap.entries] == [
        "https://www.lemagit.fr/actualites/366570012/Ransomware-Cactus"
    ]


def test_sitemap_index():
    sitemap = parse_sitemap(fixture("index.xml"), "https://www.heise.de/sitemap_index.xml")

    assert sitemap.kind == "index"
    assert [(entry.url, entry.lastmod) for entry in sitemap.entries] == [
        ("https://www.heise.de/sitemap/news-2024-03.xml", "2024-03-06T10:00:00+01:00"),
        ("https://www.heise.de/sitemap/news-2024-02.xml.gz", "2024-02-29T23:59:00+01:00"),
        ("https://www.heise.de/sitemap/googlenews.xml", None),
    ]


def test_google_news_sitemap():
    sitemap = parse_sitemap(fixture("news.xml"), "https://www.heise.de/sitemap/googlenews.xml")

    assert sitemap.kind == "urlset"
    german, english, french = sitemap.entries
    assert german == SitemapEntry(
        url="https://www.heise.de/news/BSI-warnt-vor-Angriffen-auf-Exchange-Server-9645187.html",
        lastmod=None,
        news_title="BSI warnt vor Angriffen auf Exchange-Server: Über 17.000 Systeme verwundbar",
        news_published="2024-03-05T14:30:00+01:00",
        news_language="de",
    )
    assert (english.lastmod, english.news_published) == (
        "2024-02-26T09:00:00+00:00",
        "2024-02-26T08:15:00+00:00",
    )
    assert (english.news_title, english.news_language) == ("LockBit back online after takedown", "en")
    assert french.news_title == "Cyberattaque contre France Travail : 43 millions de personnes concernées"
    assert (french.news_published, french.news_language) == ("2024-03-13", "fr")


def test_gzipped_sitemap():
    content = fixture("urlset.xml.gz")
    assert content[:2] == b"\x1f\x8b"

    sitemap = parse_sitemap(content, "https://www.heise.de/sitemap/news-2024-02.xml.gz")

    assert [(entry.url, entry.lastmod) for entry in sitemap.entries] == [
        (
            "https://www.heise.de/news/Fortinet-FortiOS-Luecke-wird-angegriffen-9623401.html",
            "2024-02-09T09:10:00+01:00",
        ),
        (
            "https://www.heise.de/news/Ivanti-Connect-Secure-Fuenfte-Luecke-9622311.html",
            "2024-02-08T17:45:00+01:00",
        ),
    ]


def test_gzip_bomb_is_refused():
    inflated = urlset("https://example.com/a")[: -len(b"</urlset>")] + b" " * MAX_SITEMAP_BYTES + b"</urlset>"
    bomb = gzip.compress(inflated)
    assert len(bomb) < 60_000  # a 50 KB download

    with pytest.raises(
        SitemapError, match=r"^too large: https://example\.com/s\.xml\.gz inflates to over 50 MB$"
    ):
        parse_sitemap(bomb, "https://example.com/s.xml.gz")


def test_broken_gzip_is_an_error():
    truncated = fixture("urlset.xml.gz")[:100]

    with pytest.raises(
        SitemapError, match=r"^not a sitemap: https://example\.com/s\.xml\.gz is broken gzip data"
    ):
        parse_sitemap(truncated, "https://example.com/s.xml.gz")


def test_text_sitemap():
    sitemap = parse_sitemap(fixture("sitemap.txt"), "https://www.zdnet.fr/sitemap.txt")

    assert sitemap.kind == "urlset"
    assert [entry.url for entry in sitemap.entries] == [
        "https://www.zdnet.fr/actualites/cyberattaque-france-travail-43-millions-39964522.htm",
        "https://www.zdnet.fr/actualites/rancongiciel-lockbit-operation-cronos-39964210.htm",
        "https://www.zdnet.fr/actualites/anssi-panorama-menace-2023-39964101.htm",
    ]


def test_text_sitemap_with_bom_and_crlf():
    content = "\ufeffhttps://www.heise.de/news/a.html\r\nhttps://www.heise.de/news/b.html\r\n".encode()

    sitemap = parse_sitemap(content, "https://www.heise.de/sitemap.txt")

    assert [entry.url for entry in sitemap.entries] == [
        "https://www.heise.de/news/a.html",
        "https://www.heise.de/news/b.html",
    ]


def test_empty_urlset_is_a_sitemap_without_entries():
    sitemap = parse_sitemap(b'<?xml version="1.0"?><urlset/>', "https://example.com/sitemap.xml")

    assert (sitemap.kind, sitemap.entries) == ("urlset", [])


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ((FEEDS / "page.html").read_bytes(), "has root element <html>"),
        ((FEEDS / "rss20.xml").read_bytes(), "has root element <rss>"),
        ((FEEDS / "feed.json").read_bytes(), "is neither XML nor a list of URLs"),
        (
            b"User-agent: *\nDisallow: /admin\nSitemap: https://example.com/sitemap.xml\n",
            "is neither XML nor",
        ),
        (b"", "is empty"),
        (b"\n  \n", "is empty"),
        (b"<urlset><url><loc>https://example.com/a</loc></urlset>", "is not well-formed XML"),
    ],
)
def test_documents_that_are_not_sitemaps(content, what):
    with pytest.raises(SitemapError) as raised:
        parse_sitemap(content, "https://example.com/sitemap.xml")

    message = str(raised.value)
    assert message.startswith(f"not a sitemap: https://example.com/sitemap.xml {what}")
    assert "\n" not in message


def test_xml_errors_come_on_one_line():
    # libxml2's message for a NUL byte ends in a line break.
    with pytest.raises(SitemapError) as raised:
        parse_sitemap(
            b"<urlset>\n<url><loc>https://example.com/\x00</loc></url></urlset>", "https://example.com/s"
        )

    message = str(raised.value)
    assert message.startswith("not a sitemap: https://example.com/s is not well-formed XML (")
    assert "Char 0x0 out of allowed range" in message
    assert "line 2, column 31" in message  # the NUL after "<url><loc>https://example.com/"
    assert "\n" not in message


def test_unparsable_urls_are_skipped():
    content = urlset(
        "https://[2001:db8::1/broken", "https://www.golem.de/news/a.html", "https://www.golem.de/a b"
    )

    assert [entry.url for entry in parse_sitemap(content, "https://www.golem.de/s.xml").entries] == [
        "https://www.golem.de/news/a.html"
    ]


def test_billion_laughs_sitemap_is_refused():
    with pytest.raises(SitemapError) as raised:
        parse_sitemap(fixture("billion_laughs.xml"), "https://news.example.com/sitemap.xml")

    assert str(raised.value) == (
        "refused: entity declarations (XML bomb or external entity): https://news.example.com/sitemap.xml"
    )


def test_xxe_sitemap_is_refused_even_gzipped():
    xxe = b"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <urlset><url><loc>https://example.com/&xxe;</loc></url></urlset>"""

    with pytest.raises(SitemapError, match="^refused: entity declarations"):
        parse_sitemap(gzip.compress(xxe), "https://example.com/sitemap.xml.gz")


# expand_sitemaps, in memory


HEISE_INDEX = "https://www.heise.de/sitemap_index.xml"


def test_expand_follows_an_index_and_reports_failures():
    fetch = DictFetcher(
        {
            HEISE_INDEX: fixture("index.xml"),
            "https://www.heise.de/sitemap/news-2024-03.xml": fixture("news.xml"),
            "https://www.heise.de/sitemap/news-2024-02.xml.gz": fixture("urlset.xml.gz"),
            # googlenews.xml is missing: the fetch raises
        }
    )

    entries, errors = expand([HEISE_INDEX], fetch)

    assert [entry.url for entry in entries] == [
        "https://www.heise.de/news/BSI-warnt-vor-Angriffen-auf-Exchange-Server-9645187.html",
        "https://www.heise.de/en/news/LockBit-back-online-after-takedown-9638811.html",
        "https://www.heise.de/fr/news/Cyberattaque-contre-France-Travail-9650012.html",
        "https://www.heise.de/news/Fortinet-FortiOS-Luecke-wird-angegriffen-9623401.html",
        "https://www.heise.de/news/Ivanti-Connect-Secure-Fuenfte-Luecke-9622311.html",
    ]
    assert entries[0].news_language == "de"
    assert errors == [
        (
            "https://www.heise.de/sitemap/googlenews.xml",
            "no route to https://www.heise.de/sitemap/googlenews.xml",
        )
    ]
    assert fetch.calls == [
        HEISE_INDEX,
        "https://www.heise.de/sitemap/news-2024-03.xml",
        "https://www.heise.de/sitemap/news-2024-02.xml.gz",
        "https://www.heise.de/sitemap/googlenews.xml",
    ]


def test_expand_reports_bad_sitemaps_and_goes_on():
    fetch = DictFetcher(
        {
            "https://news.example.com/sitemap_index.xml": index(
                "https://news.example.com/bomb.xml", "https://news.example.com/pages.txt"
            ),
            "https://news.example.com/bomb.xml": fixture("billion_laughs.xml"),
            "https://news.example.com/pages.txt": fixture("sitemap.txt"),
        }
    )

    entries, errors = expand(["https://news.example.com/sitemap_index.xml"], fetch)

    assert len(entries) == 3
    assert errors == [
        (
            "https://news.example.com/bomb.xml",
            "refused: entity declarations (XML bomb or external entity): https://news.example.com/bomb.xml",
        )
    ]


def test_index_listing_itself_terminates():
    fetch = DictFetcher(
        {
            "https://www.lemagit.fr/sitemap_index.xml": fixture("index_self.xml"),
            "https://www.lemagit.fr/sitemap-actualites.xml": fixture("urlset_no_namespace.xml"),
        }
    )

    entries, errors = expand(["https://www.lemagit.fr/sitemap_index.xml"], fetch)

    assert fetch.calls == [
        "https://www.lemagit.fr/sitemap_index.xml",
        "https://www.lemagit.fr/sitemap-actualites.xml",
    ]
    assert [entry.url for entry in entries] == [
        "https://www.zataz.com/piratage-hopital-armentieres/",
        "https://www.zataz.com/fuite-de-donnees-france-travail/",
    ]
    assert errors == []


def test_indexes_listing_each_other_terminate():
    fetch = DictFetcher(
        {
            "https://www.securityweek.com/sitemap-a.xml": fixture("index_a.xml"),
            "https://www.securityweek.com/sitemap-b.xml": fixture("index_b.xml"),
            "https://www.securityweek.com/post-sitemap1.xml": urlset(
                "https://www.securityweek.com/varta-attack/"
            ),
            "https://www.securityweek.com/post-sitemap2.xml": urlset(
                "https://www.securityweek.com/patch-tuesday/"
            ),
        }
    )

    entries, errors = expand(["https://www.securityweek.com/sitemap-a.xml"], fetch, max_depth=10)

    assert fetch.calls == [
        "https://www.securityweek.com/sitemap-a.xml",
        "https://www.securityweek.com/sitemap-b.xml",
        "https://www.securityweek.com/post-sitemap1.xml",
        "https://www.securityweek.com/post-sitemap2.xml",
    ]
    assert [entry.url for entry in entries] == [
        "https://www.securityweek.com/varta-attack/",
        "https://www.securityweek.com/patch-tuesday/",
    ]
    assert errors == []


def test_each_sitemap_and_each_page_once():
    pages = ["https://www.golem.de/news/a.html", "https://www.golem.de/news/b.html"]
    fetch = DictFetcher(
        {
            "https://www.golem.de/sitemap-1.xml": urlset(*pages),
            "https://www.golem.de/sitemap-2.xml": urlset(
                pages[1], "https://www.golem.de/news/c.html", pages[0]
            ),
        }
    )
    starts = ["https://www.golem.de/sitemap-1.xml", "https://www.golem.de/sitemap-1.xml#top"]

    entries, errors = expand([*starts, "https://www.golem.de/sitemap-2.xml"], fetch)

    assert fetch.calls == ["https://www.golem.de/sitemap-1.xml", "https://www.golem.de/sitemap-2.xml"]
    assert [entry.url for entry in entries] == [*pages, "https://www.golem.de/news/c.html"]
    assert errors == []


def chain_of_indexes() -> DictFetcher:
    """index-0 lists index-1 lists index-2 lists a urlset with one page."""
    base = "https://www.theregister.com/sitemaps/"
    return DictFetcher(
        {
            base + "index-0.xml": index(base + "index-1.xml"),
            base + "index-1.xml": index(base + "index-2.xml"),
            base + "index-2.xml": index(base + "pages.xml"),
            base + "pages.xml": urlset(
                "https://www.theregister.com/2024/03/15/leicester_council_ransomware/"
            ),
        }
    )


@pytest.mark.parametrize(("max_depth", "fetched"), [(0, 1), (1, 2), (2, 3)])
def test_depth_limit(max_depth, fetched):
    fetch = chain_of_indexes()
    urls = list(fetch.documents)

    entries, errors = expand([urls[0]], fetch, max_depth=max_depth)

    assert fetch.calls == urls[:fetched]
    assert entries == []
    assert errors == [(urls[fetched], f"limit reached: depth {max_depth}; 1 sitemaps not fetched")]


def test_depth_limit_reached_exactly():
    fetch = chain_of_indexes()

    entries, errors = expand([next(iter(fetch.documents))], fetch, max_depth=3)

    assert [entry.url for entry in entries] == [
        "https://www.theregister.com/2024/03/15/leicester_council_ransomware/"
    ]
    assert errors == []


def test_count_limit():
    children = [f"https://www.cert.ssi.gouv.fr/sitemap-{year}.xml" for year in range(2020, 2025)]
    documents = {url: urlset(url.replace("sitemap-", "avis/").replace(".xml", "/")) for url in children}
    fetch = DictFetcher({"https://www.cert.ssi.gouv.fr/sitemap.xml": index(*children), **documents})

    entries, errors = expand(["https://www.cert.ssi.gouv.fr/sitemap.xml"], fetch, max_sitemaps=3)

    assert fetch.calls == ["https://www.cert.ssi.gouv.fr/sitemap.xml", *children[:2]]
    assert [entry.url for entry in entries] == [
        "https://www.cert.ssi.gouv.fr/avis/2020/",
        "https://www.cert.ssi.gouv.fr/avis/2021/",
    ]
    assert errors == [(children[2], "limit reached: 3 sitemaps; 3 not fetched")]


def test_without_on_error_failures_are_silent():
    fetch = DictFetcher({"https://example.com/a.xml": urlset("https://example.com/page")})

    entries = asyncio.run(
        expand_sitemaps(["https://example.com/missing.xml", "https://example.com/a.xml"], fetch)
    )

    assert [entry.url for entry in entries] == ["https://example.com/page"]


# expand_sitemaps over real HTTP


def test_expand_over_http(server):
    news = server.url("/sitemaps/news.xml")
    archive = server.url("/sitemaps/2024-02.xml.gz")
    missing = server.url("/sitemaps/missing.xml")
    start = server.route(
        "/sitemap_index.xml", body=index(server.url("/sitemap_index.xml"), news, archive, missing)
    )
    server.route("/sitemaps/news.xml", body=fixture("news.xml"), headers={"Content-Type": "application/xml"})
    # Served as a file, not with Content-Encoding: the client hands over the gzip bytes untouched.
    server.route(
        "/sitemaps/2024-02.xml.gz",
        body=fixture("urlset.xml.gz"),
        headers={"Content-Type": "application/gzip"},
    )
    errors: list[tuple[str, Exception]] = []

    async def crawl() -> list[SitemapEntry]:
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:

            async def fetch(url: str) -> bytes:
                response = await client.get(url)
                response.raise_for_status()
                return response.content

            return await expand_sitemaps(
                [start], fetch, on_error=lambda url, error: errors.append((url, error))
            )

    entries = asyncio.run(crawl())

    assert [entry.url for entry in entries] == [
        "https://www.heise.de/news/BSI-warnt-vor-Angriffen-auf-Exchange-Server-9645187.html",
        "https://www.heise.de/en/news/LockBit-back-online-after-takedown-9638811.html",
        "https://www.heise.de/fr/news/Cyberattaque-contre-France-Travail-9650012.html",
        "https://www.heise.de/news/Fortinet-FortiOS-Luecke-wird-angegriffen-9623401.html",
        "https://www.heise.de/news/Ivanti-Connect-Secure-Fuenfte-Luecke-9622311.html",
    ]
    assert entries[3].lastmod == "2024-02-09T09:10:00+01:00"
    assert [(url, type(error)) for url, error in errors] == [(missing, httpx.HTTPStatusError)]
    assert "404" in str(errors[0][1])
    for path in (
        "/sitemap_index.xml",
        "/sitemaps/news.xml",
        "/sitemaps/2024-02.xml.gz",
        "/sitemaps/missing.xml",
    ):
        assert len(server.hits(path)) == 1
