"""Feed parsing against fixture feeds of every supported flavour, plus the documents it must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_brief.corpus.feeds import FeedError, iso_date, iso_language, looks_like_feed, parse_feed
from incident_brief.corpus.xmlsafety import refusal_reason, root_name

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SITEMAPS = Path(__file__).parent / "fixtures" / "sitemaps"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_rss20_with_offsets_categories_creators_and_umlauts():
    feed = parse_feed(fixture("rss20.xml"), "https://rss.golem.de/rss.php?tp=sec")

    assert (feed.kind, feed.title, feed.language) == ("rss20", "Golem.de - Security", "de")
    assert feed.url == "https://rss.golem.de/rss.php?tp=sec"
    assert len(feed.entries) == 2  # the third item has no link
    exchange, leak = feed.entries
    assert exchange.url == (
        "https://www.golem.de/news/sicherheitsluecke-bsi-warnt-vor-angriffen-auf-exchange-server-2403-182745.html"
    )
    assert exchange.title == "Sicherheitslücke: BSI warnt vor Angriffen auf Exchange-Server"
    assert exchange.published == "2024-03-05T14:30:00+01:00"  # the +0100 of the pubDate is kept
    assert exchange.updated is None  # RSS has no update date; feedparser's alias is not taken for one
    assert exchange.authors == ["Jürgen Müller"]  # dc:creator
    assert exchange.tags == ["Sicherheit", "Microsoft"]  # the repeated category once
    assert exchange.summary == (
        "Rund 17.000 Exchange-Server in Deutschland sind verwundbar. Das BSI rät zum sofortigen Patchen."
    )
    assert exchange.language == "de"  # from the channel's de-DE
    # A relative link resolves against the feed's own URL; &#8211; is an en dash.
    assert leak.url == "https://rss.golem.de/news/datenleck-bei-gesundheitsdienstleister-2403-182701.html"
    assert leak.title == "Datenleck bei Gesundheitsdienstleister \u2013 Tausende Patientendaten im Netz"
    assert leak.published == "2024-03-04T09:05:00+00:00"  # GMT
    assert leak.authors == ["Anna Weiß"]  # from <author>redaktion@golem.de (Anna Weiß)</author>
    assert leak.tags == ["Datenschutz"]


def test_rss10_rdf_with_dc_date_and_dc_language():
    feed = parse_feed(fixture("rss10.rdf"), "https://www.heise.de/security/rss/news.rdf")

    assert (feed.kind, feed.title, feed.language) == ("rss10", "heise Security", "de")
    citrix, fortinet = feed.entries
    assert citrix.url == "https://www.heise.de/news/Citrix-Bleed-Angriffe-auf-Netscaler-9345210.html"
    assert citrix.title == "Citrix Bleed: Angriffe auf Netscaler-Appliances nehmen zu"
    assert citrix.published == "2023-10-31T16:45:00+01:00"
    assert citrix.authors == ["Dirk Knop"]
    assert citrix.tags == ["Citrix"]  # dc:subject
    assert citrix.summary == "Kriminelle nutzen die Lücke CVE-2023-4966 aus, um Sitzungen zu übernehmen."
    assert fortinet.title == "Kritische Sicherheitslücke in Fortinet FortiOS wird angegriffen"
    assert fortinet.published == "2024-02-09T08:10:00+00:00"  # "Z"
    assert [entry.language for entry in feed.entries] == ["de", "de"]


def test_rss091_with_netscape_doctype_and_messy_title():
    # A DOCTYPE with only a public identifier (no internal subset) is fine.
    feed = parse_feed(fixture("rss091.xml"), "https://www.theregister.com/security/headlines.rss")

    assert (feed.kind, feed.title, feed.language) == ("rss091n", "The Register - Security", "en")
    assert [entry.title for entry in feed.entries] == [
        "Ransomware crew claims attack on Leicester City Council",  # spaces and line break collapsed
        "Ivanti patches yet another Connect Secure hole",
    ]
    assert feed.entries[0].url == "https://www.theregister.com/2024/03/15/leicester_council_ransomware/"
    assert feed.entries[1].summary == "Fifth vulnerability this year & counting"
    assert feed.entries[0].published is None


def test_rss091_userland_without_doctype():
    content = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>CERT-FR</title>
      <link>https://www.cert.ssi.gouv.fr/</link><language>fr</language>
      <item><title>Vuln\xc3\xa9rabilit\xc3\xa9 dans Microsoft Exchange</title>
      <link>https://www.cert.ssi.gouv.fr/avis/CERTFR-2024-AVI-0187/</link></item></channel></rss>"""

    feed = parse_feed(content, "https://www.cert.ssi.gouv.fr/feed/")

    assert (feed.kind, feed.language) == ("rss091u", "fr")
    assert feed.entries[0].title == "Vulnérabilité dans Microsoft Exchange"


def test_rss092():
    feed = parse_feed(fixture("rss092.xml"), "https://krebsonsecurity.com/feed/")

    assert (feed.kind, feed.title, feed.language) == ("rss092", "Krebs on Security", "en")
    assert (
        feed.entries[0].url == "https://krebsonsecurity.com/2024/02/fat-patch-tuesday-february-2024-edition/"
    )
    assert feed.entries[0].tags == ["Time to Patch"]
    assert feed.entries[1].title == "New Leak Shows Business Side of China's APT Menace"


def test_atom10_with_xml_base_relative_links_and_xml_lang():
    feed = parse_feed(fixture("atom10.xml"), "https://www.lemondeinformatique.fr/flux-rss/securite/rss.xml")

    assert (feed.kind, feed.language) == ("atom10", "fr")
    assert feed.title == "Le Monde Informatique \u2013 Sécurité"
    lockbit, anssi, hospital = feed.entries
    # Relative to the feed's xml:base https://www.lemondeinformatique.fr/actualites/
    assert lockbit.url == (
        "https://www.lemondeinformatique.fr/actualites/"
        "lire-le-rancongiciel-lockbit-revient-apres-l-operation-cronos-93012.html"
    )
    assert lockbit.title == "Le rançongiciel LockBit revient après l'opération Cronos"  # <em> stripped
    assert lockbit.summary == "Quelques jours après son démantèlement, le groupe LockBit a relancé son site."
    assert lockbit.published == "2024-02-26T10:15:00+01:00"
    assert lockbit.updated == "2024-02-27T08:00:00+01:00"
    assert lockbit.authors == ["Jacques Cheminat"]
    assert lockbit.tags == ["Ransomware", "Cybercriminalité"]
    assert lockbit.language == "fr"
    # The entry's own xml:base and xml:lang override the feed's.
    assert anssi.url == "https://www.lemondeinformatique.fr/en/news/anssi-threat-overview-2023-93051.html"
    assert anssi.language == "en"
    assert anssi.updated == "2024-02-28T17:00:00+00:00"
    assert anssi.published == "2024-02-28T17:00:00+00:00"  # no <published>: the update date stands in
    assert anssi.authors == ["Dominique Filippone", "Jacques Cheminat"]
    # An absolute path keeps the base's host.
    assert hospital.url == (
        "https://www.lemondeinformatique.fr/actualites/lire-cyberattaque-l-hopital-d-armentieres-paralyse-93003.html"
    )
    assert hospital.title == "Cyberattaque : l'hôpital d'Armentières paralysé"
    assert (hospital.summary, hospital.authors, hospital.tags) == (None, [], [])


def test_atom03():
    content = b"""<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
      <title>ZATAZ</title><entry><title>Fuite de donn\xc3\xa9es chez France Travail</title>
      <link rel="alternate" type="text/html" href="https://www.zataz.com/fuite-france-travail/"/>
      <issued>2024-03-13T18:00:00+01:00</issued><modified>2024-03-14T07:30:00Z</modified></entry></feed>"""

    feed = parse_feed(content, "https://www.zataz.com/feed/atom/")

    assert feed.kind == "atom03"
    entry = feed.entries[0]
    assert (entry.title, entry.url) == (
        "Fuite de données chez France Travail",
        "https://www.zataz.com/fuite-france-travail/",
    )
    assert (entry.published, entry.updated) == ("2024-03-13T18:00:00+01:00", "2024-03-14T07:30:00+00:00")


def test_empty_channel_is_a_feed_without_entries():
    feed = parse_feed(
        fixture("empty_channel.xml"), "https://wid.cert-bund.de/content/public/securityAdvisory/rss"
    )

    assert (feed.kind, feed.title, feed.language, feed.entries) == (
        "rss20",
        "CERT-Bund Kurzinformationen",
        "de",
        [],
    )


def test_broken_feed_with_unescaped_ampersand_is_still_read():
    feed = parse_feed(fixture("broken_ampersand.xml"), "https://www.securityweek.com/feed/")

    assert [entry.title for entry in feed.entries] == [
        "Patch Tuesday: Microsoft & Adobe Fix 70 Vulnerabilities",
        "Ransomware Attack Disrupts Operations at Varta",
    ]
    assert [entry.published for entry in feed.entries] == [
        "2024-02-14T12:08:45+00:00",
        "2024-02-15T10:30:00-05:00",
    ]
    assert feed.language == "en"


def test_links_other_than_http_are_skipped():
    content = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>Phish</title><link>javascript:alert(1)</link></item>
      <item><title>Mail</title><link>mailto:tips@example.com</link></item>
      <item><title>Real</title><link>https://www.bleepingcomputer.com/news/security/x/</link></item>
    </channel></rss>"""

    feed = parse_feed(content, "https://www.bleepingcomputer.com/feed/")

    assert [entry.title for entry in feed.entries] == ["Real"]


def test_markup_like_text_in_a_plain_title_is_kept():
    # feedparser only calls a title HTML when all its tags are real HTML; "<svg onload>" is the topic here.
    content = b"""<rss version="2.0"><channel><title>t</title><item>
      <title>XSS via &lt;svg onload&gt; in Roundcube</title><link>https://example.com/a</link>
      <description>Fixed in 1.6.6 &amp; 1.5.7</description></item></channel></rss>"""

    entry = parse_feed(content, "https://example.com/feed").entries[0]

    assert entry.title == "XSS via <svg onload> in Roundcube"
    assert entry.summary == "Fixed in 1.6.6 & 1.5.7"


def test_character_references_to_control_characters_are_dropped():
    # &#20; in escaped HTML becomes a control character that lxml refuses to handle from Python.
    content = b"""<rss version="2.0"><channel><title>t</title><item>
      <title>Zero&amp;#20;day in &lt;b&gt;Ivanti&lt;/b&gt;</title><link>https://example.com/a</link>
      <description>&lt;p&gt;Patch now&lt;/p&gt;&amp;#7;CVE-2024-21887</description>
      </item></channel></rss>"""

    entry = parse_feed(content, "https://example.com/feed").entries[0]

    assert entry.title == "Zeroday in Ivanti"
    assert entry.summary == "Patch now CVE-2024-21887"


@pytest.mark.parametrize(
    ("declaration", "detail"),
    [
        (b"ISO-8859\xd11", "'utf-8' codec can't decode byte 0xd1 in position 8: invalid continuation byte"),
        (b"UT\x00F-8", "embedded null character"),
    ],
)
def test_garbled_encoding_declaration(declaration, detail):
    content = b'<?xml version="1.0" encoding="' + declaration + b'"?><rss version="2.0"><channel/></rss>'

    with pytest.raises(FeedError) as raised:
        parse_feed(content, "https://example.com/feed")

    assert str(raised.value) == f"not a feed: https://example.com/feed cannot be decoded ({detail})"


def test_unreadable_dates_are_left_out():
    content = b"""<rss version="2.0"><channel><title>t</title><item><title>a</title>
      <link>https://example.com/a</link><pubDate>Di, 05 M\xc3\xa4r 2024 14:30</pubDate>
      </item></channel></rss>"""

    assert parse_feed(content, "https://example.com/feed").entries[0].published is None


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("page.html", "has root element <html>"),
        ("feed.json", "is not XML"),
    ],
)
def test_documents_that_are_not_feeds(name, what):
    with pytest.raises(FeedError) as raised:
        parse_feed(fixture(name), "https://www.heise.de/security/")

    assert str(raised.value) == f"not a feed: https://www.heise.de/security/ {what}"


@pytest.mark.parametrize("content", [b"", b"  \n\t", b"\x00\x01\x02garbage\xff"])
def test_empty_and_garbage_are_not_feeds(content):
    with pytest.raises(FeedError, match=r"^not a feed: https://example\.com/feed "):
        parse_feed(content, "https://example.com/feed")


def test_a_sitemap_is_not_a_feed():
    with pytest.raises(FeedError, match=r"has root element <urlset>$"):
        parse_feed((SITEMAPS / "urlset.xml").read_bytes(), "https://example.com/sitemap.xml")


def test_content_that_names_a_local_file_is_not_read_from_disk():
    # feedparser.parse(bytes) opens the bytes as a file name when such a file exists.
    content = str(FEEDS / "rss20.xml").encode()

    with pytest.raises(FeedError, match="is not XML"):
        parse_feed(content, "https://example.com/feed")


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml"])
def test_entity_declarations_are_refused(name):
    with pytest.raises(FeedError) as raised:
        parse_feed(fixture(name), "https://news.example.com/feed.xml")

    message = str(raised.value)
    assert message == (
        "refused: entity declarations (XML bomb or external entity): https://news.example.com/feed.xml"
    )
    assert "\n" not in message


def test_entity_declarations_are_refused_in_utf16():
    content = fixture("billion_laughs.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')

    for encoded in (content.encode("utf-16"), content.encode("utf-16-le"), content.encode("utf-16-be")):
        with pytest.raises(FeedError, match="^refused: entity declarations"):
            parse_feed(encoded, "https://news.example.com/feed.xml")


def test_doctype_behind_a_comment_is_found():
    content = b"""<?xml version="1.0"?>
<!-- generated by <a href="https://wordpress.org/">WordPress</a> -->
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title></channel></rss>"""

    with pytest.raises(FeedError, match="^refused: entity declarations"):
        parse_feed(content, "https://example.com/feed")


def test_internal_subset_without_entities_is_refused_too():
    content = b"""<!DOCTYPE rss [<!ATTLIST item lang CDATA "de">]><rss version="2.0"><channel/></rss>"""

    with pytest.raises(FeedError, match=r"^refused: DTD internal subset: https://example\.com/feed$"):
        parse_feed(content, "https://example.com/feed")


def test_an_article_quoting_an_xxe_payload_is_not_refused():
    # Security news quotes attack payloads; inside an item (here in CDATA) they are just text.
    content = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>PortSwigger Research</title>
      <item><title>XXE in a PDF generator</title><link>https://portswigger.net/research/xxe-pdf</link>
      <description><![CDATA[Payload: <!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>]]></description>
      </item></channel></rss>"""

    feed = parse_feed(content, "https://portswigger.net/research/rss")

    assert [entry.title for entry in feed.entries] == ["XXE in a PDF generator"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rss091.xml", True),
        ("rss092.xml", True),
        ("rss10.rdf", True),
        ("rss20.xml", True),
        ("atom10.xml", True),
        ("empty_channel.xml", True),
        ("page.html", False),
        ("feed.json", False),
    ],
)
def test_looks_like_feed(name, expected):
    assert looks_like_feed(fixture(name)) is expected


def test_looks_like_feed_rejects_sitemaps_and_nothing():
    assert not looks_like_feed((SITEMAPS / "index.xml").read_bytes())
    assert not looks_like_feed(b"")
    assert root_name(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c --><rdf:RDF/>") == "rdf"


def test_refusal_reason_of_safe_documents_is_none():
    assert refusal_reason(fixture("rss20.xml")) is None
    assert refusal_reason(fixture("rss091.xml")) is None  # external DOCTYPE only
    assert refusal_reason(fixture("page.html")) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 05 Mar 2024 14:30:00 +0100", "2024-03-05T14:30:00+01:00"),
        ("Thu, 15 Feb 2024 10:30:00 -0500", "2024-02-15T10:30:00-05:00"),
        ("Mon, 04 Mar 2024 09:05:00 GMT", "2024-03-04T09:05:00+00:00"),
        ("2024-02-29T18:30Z", "2024-02-29T18:30:00+00:00"),
        ("2024-02-26T10:15:00.250+01:00", "2024-02-26T10:15:00.250000+01:00"),
        ("2024-03-05T10:00:00", "2024-03-05T10:00:00+00:00"),  # no offset: UTC
        ("2024-02-09", "2024-02-09"),  # a date stays a date
        (" 2024-02 ", "2024-02"),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_date(raw, expected):
    assert iso_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("de-DE", "de"),
        ("en_us", "en"),
        ("FR", "fr"),
        (" fr-ca ", "fr"),
        ("German", None),
        ("deu", None),
        (None, None),
    ],
)
def test_iso_language(raw, expected):
    assert iso_language(raw) == expected
