"""The review web app through Flask's test client over a real, briefed SQLite database: pages, security
checks, every correction and its undo, exports, and that `brief cluster` / `brief summarize` afterwards
keep what the analyst decided."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from markupsafe import escape
from review_corpus import build_briefed, copy_db

from incident_brief.cli import main
from incident_brief.corpus.store import Store
from incident_brief.review.app import create_app

TOKEN = "s3cret-token-for-the-tests"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_briefed(tmp_path_factory.mktemp("review"))


@pytest.fixture
def db(corpus, tmp_path):
    return copy_db(corpus, tmp_path)


@pytest.fixture
def client(db):
    return create_app(db, reviewer="ana").test_client()


def csrf(client, incident: str = "rheinau") -> str:
    page = client.get(f"/incidents/{incident}").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def post(client, path: str, incident: str = "rheinau", **form):
    return client.post(path, data={"csrf": csrf(client, incident), **form})


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@dataclass
class Item:
    """A summary sentence, quote or requirement on the incident page, with the evidence its form posts."""

    text: str  # the words shown
    evidence: str  # JSON [[article, start, end], ...]

    @property
    def keys(self) -> set[tuple[int, int, int]]:
        return {tuple(k) for k in json.loads(self.evidence)}


ITEM_PATTERNS = {  # the item's shown words, then its correction form's evidence
    "sentence": r'<span class="sentence"[^>]*>(.*?)</span>.*?action="/incidents/[^/]+/sentence"',
    "quote": r"<blockquote[^>]*>(.*?)</blockquote>.*?action=\"/incidents/[^/]+/speaker\"",
    "requirement": r'<p class="statement">(.*?) <a class="cite".*?action="/incidents/[^/]+/requirement/edit"',
}


def items(client, incident: str, kind: str) -> list[Item]:
    """The brief's items of one kind, in page order (whatever the analysis found: the tests correct the
    items they find, not texts they expect)."""
    html = brief_part(page(client, f"/incidents/{incident}"))
    found = [
        Item(unescape(m.group(1)), unescape(m.group(2)))
        for m in re.finditer(ITEM_PATTERNS[kind] + r'.*?name="evidence" value="([^"]+)"', html, re.S)
    ]
    assert found, f"the fixture brief has no {kind}"
    return found


def brief_part(html: str) -> str:
    """The brief on an incident page, without the side bar's activity log (which quotes old values)."""
    return html[: html.index("<aside")]


def members(db, incident: str) -> set[int]:
    with Store(db) as store:
        return {
            row[0]
            for row in store.query(
                "SELECT article_id FROM incident_members WHERE incident_id = ?", (incident,)
            )
        }


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


# Pages and security


def test_pages_carry_the_security_headers(client):
    for path in ("/", "/incidents/rheinau", "/articles/1", "/static/review.js", "/incidents/nope"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_the_list_shows_every_incident_with_sources_and_languages(client, db):
    html = page(client, "/")
    assert "3 found" in html
    row = re.search(
        r'href="/incidents/rheinau">(.*?)</a>.*?<td class="n">(\d+)</td>\s*<td>([^<]*)</td>', html, re.S
    )
    with Store(db) as store:
        headline = store.query(
            "SELECT json_extract(brief, '$.headline') FROM review_briefs WHERE incident_id = 'rheinau'"
        )
    assert unescape(row.group(1)) == headline[0][0]  # the brief's headline, not the clustering title
    assert (row.group(2), row.group(3)) == ("5", "de, en")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=Brightwell", ["single"]),
        ("q=verschl%C3%BCsselt", ["rheinau"]),  # a word of a German article text, not of any title
        ("q=%22unbalanced+OR", []),  # query syntax is never passed through: no error, just no match
        ("lang=de", ["rheinau"]),
        ("since=2026-04-01", ["hostile", "single"]),
        ("since=2026-03-05&until=2026-04-10", ["single", "rheinau"]),
        ("until=2026-03-04", ["rheinau"]),
        ("sort=sources", ["rheinau", "hostile", "single"]),
        ("status=new", ["hostile", "single", "rheinau"]),
        ("status=approved", []),
        ("since=not-a-date&page=x&sort=evil&status=evil", ["hostile", "single", "rheinau"]),  # ignored
    ],
)
def test_the_list_filters_and_sorts(client, query, expected):
    html = page(client, "/?" + query)
    assert re.findall(r'href="/incidents/([^"]+)"', html) == expected


def test_the_actor_filter_uses_the_actors_each_analysis_names(db):
    with Store(db) as store, store.transaction() as connection:
        analysis = store.get_analysis(7)
        analysis["actors"] = [{"canonical": "Akira", "kb_id": "G1024", "aliases": [], "mentions": []}]
        store.write_analysis(connection, 7, "test", "x", analysis)  # the trigger indexes its actors
    client = create_app(db, reviewer="ana").test_client()
    html = page(client, "/?actor=Akira")
    assert re.findall(r'href="/incidents/([^"]+)"', html) == ["hostile"]
    assert '<option value="Akira" selected>Akira</option>' in html


def test_status_filter_and_sort_by_activity_follow_the_analysts(client):
    post(client, "/incidents/single/status", "single", status="approved")
    assert re.findall(r'href="/incidents/([^"]+)"', page(client, "/?status=approved")) == ["single"]
    assert re.findall(r'href="/incidents/([^"]+)"', page(client, "/?status=new")) == ["hostile", "rheinau"]
    assert re.findall(r'href="/incidents/([^"]+)"', page(client, "/"))[0] == "single"  # just reviewed


def test_the_list_pages_through_many_incidents(db):
    with Store(db) as store, store.transaction() as connection:
        assignments = {}
        for n in range(120):
            article = store.get_article(6)
            article.url = f"https://example.org/{n}"
            article.published = f"2026-01-01T00:00:{n % 60:02d}+00:00"
            article_id = store.write_article(connection, article, article.url)
            assignments[article_id] = (f"extra-{n:03d}", "model")
        store.write_memberships(connection, assignments, {i: f"Extra {i}" for i, _ in assignments.values()})
    client = create_app(db, reviewer="ana").test_client()
    first = page(client, "/")
    assert (
        "123 found" in first and "page 1 of 3" in first and len(re.findall(r'href="/incidents/', first)) == 50
    )
    third = page(client, "/?page=3")
    assert len(re.findall(r'href="/incidents/', third)) == 23 and 'rel="next"' not in third


def test_scraped_text_is_escaped_everywhere(client):
    for path in ("/", "/incidents/hostile", "/articles/7", "/articles/7?hl=0-20"):
        html = page(client, path)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Daily" not in html
    html = page(client, "/incidents/hostile")
    assert "Kestrel Freight defaced &lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert 'href="javascript' not in page(client, "/articles/7")


def test_the_article_view_marks_the_cited_words(client, corpus):
    text = corpus.texts[4]
    words = "Power and water supply were not affected"
    start = text.index(words)
    html = page(client, f"/articles/4?hl={start}-{start + len(words)}")
    assert f'<mark id="ev">{words}</mark>' in html
    assert "GridWatch" in html and "language en" in html
    assert "<mark" not in page(client, "/articles/4?hl=5-1&hl=0-999999")  # out of range: nothing marked
    data = client.get("/articles/4.json").get_json()
    assert data["text"] == text and data["outlet"] == "GridWatch" and data["language"] == "en"


def test_every_summary_citation_opens_its_evidence(client, corpus):
    html = page(client, "/incidents/rheinau")
    cites = re.findall(r'class="cite" href="/articles/(\d+)\?hl=(\d+)-(\d+)#ev"', html)
    assert len(cites) > 10
    for article_id, start, end in cites:
        words = corpus.texts[int(article_id)][int(start) : int(end)]
        assert words.strip(), (article_id, start, end)


def test_unknown_things_are_404_pages(client):
    for path in ("/incidents/nope", "/articles/999", "/articles/999.json", "/incidents/rheinau/export/docx",
                 "/incidents/nope/export/md"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path
        assert "404 Not Found" in response.get_data(as_text=True)
    assert post(client, "/incidents/nope/status", status="approved").status_code == 404


POST_ROUTES = [
    "status", "headline", "sentence", "speaker", "requirement/reject", "requirement/edit", "remove", "move",
    "merge", "split", "undo",
]  # fmt: skip


@pytest.mark.parametrize("route", POST_ROUTES)
def test_no_state_changes_over_get(client, route):
    response = client.get(f"/incidents/rheinau/{route}?status=approved&headline=x")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_post_without_the_session_csrf_token_is_refused(client, db, token):
    client.get("/incidents/rheinau")  # a session exists, with its own token
    form = {"status": "approved"} | ({"csrf": token} if token is not None else {})
    response = client.post("/incidents/rheinau/status", data=form)
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    fresh = create_app(db, reviewer="ana").test_client()  # no session at all
    assert fresh.post("/incidents/rheinau/status", data={"status": "approved", "csrf": ""}).status_code == 400
    with Store(db) as store:
        assert store.query("SELECT count(*) FROM review_corrections")[0][0] == 0


def test_a_cross_site_post_is_refused_even_with_the_token(client):
    response = client.post(
        "/incidents/rheinau/status",
        data={"csrf": csrf(client), "status": "approved"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    same_site = post(client, "/incidents/rheinau/status", status="approved")
    assert same_site.status_code == 303


def test_without_a_token_only_loopback_host_names_are_answered(client):
    assert client.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 403  # DNS rebinding


def test_with_a_token_every_request_must_carry_it(db):
    client = create_app(db, reviewer="ana", token=TOKEN).test_client()
    for path in ("/", "/incidents/rheinau", "/articles/1.json", "/static/review.css"):
        assert client.get(path).status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get(f"/incidents/rheinau?token={TOKEN}&x=1")
    assert response.status_code == 303 and response.headers["Location"] == "/incidents/rheinau?x=1"
    cookie = response.headers["Set-Cookie"]
    assert f"brief_token={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/incidents/rheinau").status_code == 200  # the cookie carries it from now on
    sneaky = {"PATH_INFO": "//evil.example/x", "QUERY_STRING": f"token={TOKEN}"}  # no open redirect
    assert client.get("/", environ_overrides=sneaky).headers["Location"] == "/evil.example/x"
    bearer = {"Host": "192.0.2.1:8000", "Authorization": f"Bearer {TOKEN}"}
    assert client.get("/", headers=bearer).status_code == 200  # any host name, with the token


@pytest.mark.parametrize("path", ["/%09/evil.example/x", "/%5Cevil.example/x", "/%5C%5Cevil.example/x"])
def test_the_token_redirect_never_leaves_the_site(db, path):
    """Browsers drop tabs and read a backslash as a slash: "/<tab>/host" would be "//host", another site."""
    client = create_app(db, reviewer="ana", token=TOKEN).test_client()
    location = client.get(f"{path}?token={TOKEN}").headers["Location"]
    assert location == path  # the path as asked for, still quoted: one slash, then no slash or tab
    assert "\t" not in location and "\\" not in location and not location.startswith("//")


def test_a_missing_token_page_says_how_to_give_it(db):
    response = create_app(db, reviewer="ana", token=TOKEN).test_client().get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 401 and "?token=" in body and TOKEN not in body


SEARCH_SYNTAX = ['"', "AND", "*", "NEAR(", "a NEAR(b", 'x" OR "y', "-x", "col:x", ":", "(", ")", "%", "_"]


@pytest.mark.parametrize("query", [*SEARCH_SYNTAX, "x" * 5000])
def test_search_text_is_never_query_syntax(client, query):
    """FTS5 syntax typed into the search box never reaches the parser: no 500, and no operator acts."""
    html = page(client, "/?" + urlencode({"q": query}))
    assert "found" in html
    if query in ('"', "*", ":", "%", "_"):  # no word to search for, and no title holds the character
        assert re.findall(r'href="/incidents/([^"]+)"', html) == []


def test_like_wildcards_in_the_search_are_plain_characters(client, db):
    with Store(db) as store, store.transaction() as connection:
        connection.execute("UPDATE incidents SET title = 'Outage at 100% of sites' WHERE id = 'single'")
    assert re.findall(r'href="/incidents/([^"]+)"', page(client, "/?q=%25")) == ["single"]  # not all three
    assert re.findall(r'href="/incidents/([^"]+)"', page(client, "/?q=_")) == []


@pytest.mark.parametrize(
    "path, status",
    [
        ("/articles/99999999999999999999999", 404),  # beyond SQLite's integers
        ("/articles/99999999999999999999999.json", 404),
        ("/articles/1?hl=%C2%B2-5", 200),  # "²" is a digit to str.isdigit, not to int()
        ("/articles/1?hl=1_0-20", 200),
        ("/?page=99999999999999999999", 200),
    ],
)
def test_odd_numbers_in_urls_are_pages_not_errors(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    if path.startswith("/articles/1?"):
        assert "<mark" not in response.get_data(as_text=True)  # the malformed range is ignored


@pytest.mark.parametrize(
    "route, form",
    [
        ("undo", {"correction": "99999999999999999999999"}),
        ("undo", {"decision": "99999999999999999999999"}),
        ("undo", {"correction": "\u0663"}),  # an Arabic-Indic 3: int() would take it
        ("split", {"article": "99999999999999999999999"}),
        ("remove", {"article": "1_0"}),
        ("sentence", {"evidence": "[[1e400, 0, 5]]"}),
        ("sentence", {"evidence": "[[1.5, 0, 5]]"}),
        ("speaker", {"evidence": "[[true, 0, 5]]"}),
        ("requirement/reject", {"evidence": "[[1, 0]]"}),
    ],
)
def test_malformed_ids_in_forms_are_refused_with_400(client, db, route, form):
    assert post(client, f"/incidents/rheinau/{route}", **form).status_code == 400
    with Store(db) as store:
        assert store.query("SELECT count(*) FROM review_corrections")[0][0] == 0
        assert store.query("SELECT count(*) FROM incident_decisions")[0][0] == 0


def test_a_huge_form_is_refused_before_it_is_read(client, db):
    response = post(client, "/incidents/rheinau/status", status="approved", padding="x" * 2_000_000)
    assert response.status_code == 413
    with Store(db) as store:
        assert store.query("SELECT count(*) FROM review_corrections")[0][0] == 0


# Corrections and their undo


def log_ids(client, incident="rheinau") -> list[tuple[str, str]]:
    html = page(client, f"/incidents/{incident}")
    return re.findall(r'<input type="hidden" name="(correction|decision)" value="(\d+)">', html)


def undo_latest(client, incident="rheinau"):
    field, number = log_ids(client, incident)[0]
    return post(client, f"/incidents/{incident}/undo", incident, **{field: number})


def headline(client, incident="rheinau") -> str:
    return unescape(
        re.search(r'<h1 id="headline">(.*?)</h1>', page(client, f"/incidents/{incident}")).group(1)
    )


def test_headline_edit_is_logged_with_who_and_when_and_undone(client):
    machine = headline(client)
    response = post(client, "/incidents/rheinau/headline", headline="Ransomware at Stadtwerke Rheinau <b>")
    assert response.status_code == 303 and response.headers["Location"] == "/incidents/rheinau"
    html = page(client, "/incidents/rheinau")
    assert '<h1 id="headline">Ransomware at Stadtwerke Rheinau &lt;b&gt;</h1>' in html
    assert "Headline changed." in html
    assert re.search(
        r'<time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time> '
        r"<strong>ana</strong> edited the headline",
        html,
    )
    assert "Ransomware at Stadtwerke Rheinau &lt;b&gt;" in page(client, "/")
    undo_latest(client)
    assert headline(client) == machine
    html = page(client, "/incidents/rheinau")
    assert 'class="undone"' in html and "undone " in html and "by ana" in html


def test_an_empty_headline_is_refused_with_a_message(client):
    post(client, "/incidents/rheinau/headline", headline="   ")
    assert "headline: empty" in page(client, "/incidents/rheinau")


def summary(client) -> list[str]:
    return [item.text for item in items(client, "rheinau", "sentence")]


def test_summary_sentences_are_reworded_or_removed(client):
    before = items(client, "rheinau", "sentence")
    post(client, "/incidents/rheinau/sentence", evidence=before[1].evidence, text="Police investigate.")
    assert summary(client) == [before[0].text, "Police investigate.", *[i.text for i in before[2:]]]
    assert json.loads(client.get("/incidents/rheinau/export/json").data)["method"] == "abstractive:analyst"
    post(client, "/incidents/rheinau/sentence", evidence=before[1].evidence, text="")
    assert "Sentence removed." in page(client, "/incidents/rheinau")
    assert summary(client) == [before[0].text, *[i.text for i in before[2:]]]
    undo_latest(client)
    assert summary(client)[1] == "Police investigate."


def test_a_forged_evidence_key_is_refused(client):
    response = post(client, "/incidents/rheinau/sentence", evidence="[[1, 0, 5]]", text="x")
    assert response.status_code == 400 and "no longer in this brief" in response.get_data(as_text=True)
    assert post(client, "/incidents/rheinau/speaker", evidence="not json", name="x").status_code == 400


def speaker_of(client, quote: Item) -> str:
    """The speaker heading a quote stands under."""
    html = brief_part(page(client, "/incidents/rheinau"))
    quotes = html.index("<h2>Quotes</h2>")
    before = html[quotes : html.index(str(escape(quote.text)), quotes)]
    return unescape(re.findall(r'<h3 class="speaker">(.*?)</h3>', before)[-1])


def test_a_wrong_speaker_is_corrected_and_undone(client):
    quote = items(client, "rheinau", "quote")[0]
    machine = speaker_of(client, quote)
    post(
        client, "/incidents/rheinau/speaker", evidence=quote.evidence, name="Erika Mustermann", role="CISO",
        employer="Stadtwerke Rheinau",
    )  # fmt: skip
    assert speaker_of(client, quote) == "Erika Mustermann (CISO, Stadtwerke Rheinau)"
    html = page(client, "/incidents/rheinau")
    assert (
        "corrected a quote&#39;s speaker" in html
        and f"{machine.split(' (')[0]} → Erika Mustermann" in unescape(html)
    )
    assert f"“{quote.text[:80]}" in unescape(html)  # the log says which quote
    undo_latest(client)
    assert speaker_of(client, quote) == machine


def test_a_speaker_marked_unknown_leaves_the_quote_unattributed(client):
    quote = next(q for q in items(client, "rheinau", "quote") if speaker_of(client, q) != "Unattributed")
    post(client, "/incidents/rheinau/speaker", evidence=quote.evidence, name="")
    assert speaker_of(client, quote) == "Unattributed"


def export_csv(client, incident="rheinau") -> list[dict]:
    response = client.get(f"/incidents/{incident}/export/csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def csv_keys(rows: list[dict]) -> set[tuple[int, int, int]]:
    return {(int(r["article_id"]), int(r["evidence_start"]), int(r["evidence_end"])) for r in rows}


def test_a_rejected_requirement_leaves_the_brief_and_the_exports(client):
    requirement = items(client, "rheinau", "requirement")[0]
    rows = export_csv(client)
    assert csv_keys(rows) & requirement.keys
    post(
        client, "/incidents/rheinau/requirement/reject", evidence=requirement.evidence, reason="not a demand"
    )
    assert requirement.text not in [i.text for i in items(client, "rheinau", "requirement")]
    assert "not a demand" in page(client, "/incidents/rheinau")
    assert not csv_keys(export_csv(client)) & requirement.keys
    assert len(export_csv(client)) == len(rows) - len(csv_keys(rows) & requirement.keys)
    brief = json.loads(client.get("/incidents/rheinau/export/json").data)
    assert requirement.text not in [r["statement"] for r in brief["requirements"]]
    undo_latest(client)
    assert requirement.text in [i.text for i in items(client, "rheinau", "requirement")]
    assert len(export_csv(client)) == len(rows)


def test_a_requirement_statement_and_controls_are_edited(client):
    requirement = items(client, "rheinau", "requirement")[-1]
    statement = "Customers should be wary of e-mails with supposed invoices."
    post(
        client, "/incidents/rheinau/requirement/edit", evidence=requirement.evidence, statement=statement,
        controls="at-2, SI-8",
    )  # fmt: skip
    assert items(client, "rheinau", "requirement")[-1].text == statement
    html = page(client, "/incidents/rheinau")
    assert "<code>AT-2</code> Literacy Training and Awareness" in html
    assert "<code>SI-8</code> Spam Protection" in html  # titles from the NIST SP 800-53 rev. 5 catalog
    edited = [r for r in export_csv(client) if csv_keys([r]) & requirement.keys]
    assert edited and all(r["statement"] == statement and r["controls"] == "AT-2;SI-8" for r in edited)
    oscal = client.get("/incidents/rheinau/export/oscal").get_data(as_text=True)
    assert "si-8" in oscal.lower()


def test_a_too_long_rejection_reason_is_a_message_not_an_error(client, db):
    requirement = items(client, "rheinau", "requirement")[0]
    response = post(
        client, "/incidents/rheinau/requirement/reject", evidence=requirement.evidence, reason="x" * 2001
    )
    assert response.status_code == 303
    assert "reason: longer than 2000 characters" in page(client, "/incidents/rheinau")
    assert requirement.text in [i.text for i in items(client, "rheinau", "requirement")]


def test_undo_reaches_only_the_incidents_own_activity_log(client, db):
    post(client, "/incidents/single/headline", "single", headline="Brightwell outage")
    (field, number), *_ = log_ids(client, "single")
    response = post(client, "/incidents/rheinau/undo", **{field: number})  # a stale or forged form
    assert response.status_code == 303
    assert f"No correction {number} in this incident" in page(client, "/incidents/rheinau")
    assert headline(client, "single") == "Brightwell outage"
    assert post(client, "/incidents/nope/undo", **{field: number}).status_code == 404


def test_articles_are_listed_in_the_briefs_numbering(client):
    side = page(client, "/incidents/rheinau").split("<aside", 1)[1]
    numbers = [int(n) for n in re.findall(r'class="article-title">\[(\d+)\]', side)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 3


def test_an_unknown_control_is_refused_with_a_message(client):
    requirement = items(client, "rheinau", "requirement")[0]
    post(
        client,
        "/incidents/rheinau/requirement/edit",
        evidence=requirement.evidence,
        statement="x",
        controls="XX-99",
    )
    assert "no control &#39;XX-99&#39;" in page(client, "/incidents/rheinau")


def test_status_changes_are_logged_and_undone_to_the_previous_status(client):
    assert json.loads(client.get("/incidents/rheinau/export/json").data)["review"]["status"] == "new"
    post(client, "/incidents/rheinau/status", status="in review")
    post(client, "/incidents/rheinau/status", status="approved")
    assert 'id="status">approved<' in page(client, "/incidents/rheinau")
    exported = json.loads(client.get("/incidents/rheinau/export/json").data)["review"]
    assert (exported["status"], exported["by"]) == ("approved", "ana")  # the export says who approved it
    assert b"review: **approved by ana at " in client.get("/incidents/rheinau/export/md").data
    undo_latest(client)
    assert 'id="status">in review<' in page(client, "/incidents/rheinau")
    assert json.loads(client.get("/incidents/rheinau/export/json").data)["review"]["status"] == "in review"
    post(client, "/incidents/rheinau/status", status="published")
    assert "status must be one of" in page(client, "/incidents/rheinau")


def test_removing_an_article_opens_its_own_incident_and_undo_brings_it_back(client, db):
    before = members(db, "rheinau")
    response = post(client, "/incidents/rheinau/remove", article="3")
    assert response.status_code == 303
    assert members(db, "rheinau") == before - {3}
    html = page(client, "/incidents/rheinau")
    assert "Article 3 removed: it is now incident" in html and "split 1 article(s) of rheinau" in html
    undo_latest(client)
    assert members(db, "rheinau") == before


def test_moving_an_article_to_another_incident_and_back(client, db):
    response = post(client, "/incidents/rheinau/move", article="5", target="single")
    assert response.status_code == 303
    assert members(db, "single") == {5, 6} and 5 not in members(db, "rheinau")
    html = page(client, "/incidents/single")
    assert "moved article 5 from rheinau to single" in html and "placed by an analyst" in html
    undo_latest(client, "single")
    assert members(db, "single") == {6} and 5 in members(db, "rheinau")


def test_a_move_to_an_unknown_incident_is_refused_with_a_message(client, db):
    post(client, "/incidents/rheinau/move", article="5", target="nope")
    assert "no incident nope" in page(client, "/incidents/rheinau")
    assert (
        post(client, "/incidents/rheinau/move", article="6", target="single").status_code == 400
    )  # not here


def test_merge_and_split_and_their_undo(client, db):
    post(client, "/incidents/single/merge", "single", other="hostile")
    assert members(db, "single") == {6, 7} and client.get("/incidents/hostile").status_code == 404
    undo_latest(client, "single")
    assert members(db, "single") == {6} and members(db, "hostile") == {7}
    assert_stats_current(db)
    client.post("/incidents/rheinau/split", data={"csrf": csrf(client), "article": ["4", "5"]})
    assert members(db, "rheinau") == {1, 2, 3}
    html = page(client, "/incidents/rheinau")
    new_id = re.search(r"2 article\(s\) split off into incident ([\w-]+)", html).group(1)
    assert members(db, new_id) == {4, 5}
    undo_latest(client)
    assert members(db, "rheinau") == {1, 2, 3, 4, 5}


def test_exports_are_files_with_the_corrections(client):
    post(client, "/incidents/rheinau/headline", headline="Corrected headline")
    expected = {
        "md": ("rheinau.md", "text/markdown"),
        "html": ("rheinau.html", "text/html"),
        "json": ("rheinau.json", "application/json"),
        "stix": ("rheinau.stix.json", "application/json"),
        "csv": ("rheinau.csv", "text/csv"),
        "oscal": ("rheinau.oscal.json", "application/json"),
    }
    for name, (file_name, media) in expected.items():
        response = client.get(f"/incidents/rheinau/export/{name}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == f'attachment; filename="{file_name}"'
        assert response.mimetype == media
        body = response.get_data(as_text=True)
        if name in ("md", "html", "json", "stix"):
            assert "Corrected headline" in body, name
    assert json.loads(client.get("/incidents/rheinau/export/json").data)["headline"] == "Corrected headline"
    bundle = json.loads(client.get("/incidents/rheinau/export/stix").data)
    assert bundle["type"] == "bundle"


def test_an_incident_without_a_brief_still_shows_its_articles(db):
    with Store(db) as store, store.transaction() as connection:
        connection.execute("DELETE FROM review_briefs")
        connection.execute("DELETE FROM brief_snapshots")
    client = create_app(db, reviewer="ana").test_client()
    html = page(client, "/incidents/rheinau")
    assert "No brief of this incident yet" in html and 'id="article-5"' in html
    assert client.get("/incidents/rheinau/export/md").status_code == 404
    assert client.get("/incidents/rheinau/export/csv").status_code == 200
    # the page offers only the exports that exist: the requirements, not a brief it does not have
    assert re.findall(r'class="export" href="/incidents/rheinau/export/(\w+)"', html) == ["csv", "oscal"]


# Later runs keep the corrections


def test_cluster_and_summarize_afterwards_keep_every_correction(client, db, tmp_path):
    def staying(kind: str) -> list[Item]:  # items whose evidence is not in article 5, which moves away
        return [i for i in items(client, "rheinau", kind) if all(k[0] != 5 for k in i.keys)]

    requirement, edited = staying("requirement")[:2]
    quote = items(client, "rheinau", "quote")[0]
    sentence = staying("sentence")[0]
    post(client, "/incidents/rheinau/sentence", evidence=sentence.evidence, text="Analyst's wording.")
    post(
        client, "/incidents/rheinau/requirement/edit", evidence=edited.evidence, statement="Use MFA.",
        controls="IA-2(1)",
    )  # fmt: skip
    post(client, "/incidents/rheinau/move", article="5", target="single")
    post(client, "/incidents/rheinau/headline", headline="Ransomware at Stadtwerke Rheinau")
    post(client, "/incidents/rheinau/requirement/reject", evidence=requirement.evidence)
    post(client, "/incidents/rheinau/speaker", evidence=quote.evidence, name="Erika Mustermann")
    post(client, "/incidents/rheinau/status", status="approved")
    result = cli("--db", db, "cluster")
    assert result.exit_code == 0, result.output
    assert 5 in members(db, "single") and 5 not in members(db, "rheinau")
    out = tmp_path / "out"
    result = cli("--db", db, "summarize", "--out", out, "--format", "json,md")
    assert result.exit_code == 0, result.output
    brief = json.loads((out / "rheinau.json").read_text())
    assert brief["headline"] == "Ransomware at Stadtwerke Rheinau"
    keys = [{(e["article_id"], e["start"], e["end"]) for e in r["evidence"]} for r in brief["requirements"]]
    assert not any(k & requirement.keys for k in keys) and keys  # rejected; the others are still there
    for group in brief["quotes"]:
        if {
            (r["evidence"]["article_id"], r["evidence"]["start"], r["evidence"]["end"])
            for r in group["reports"]
        } & (quote.keys):
            assert group["speaker"]["name"] == "Erika Mustermann"
            break
    else:
        raise AssertionError("the corrected quote is gone from the brief")
    assert 5 not in {s["article_id"] for s in brief["sources"]}
    assert 5 in {s["article_id"] for s in json.loads((out / "single.json").read_text())["sources"]}
    assert "Analyst's wording." in [s["text"] for s in brief["summary"]]
    assert "abstractive" in brief["method"]
    (kept,) = [r for r, k in zip(brief["requirements"], keys, strict=True) if k & edited.keys]
    assert kept["statement"] == "Use MFA." and [c["id"] for c in kept["controls"]] == ["IA-2(1)"]
    assert "# Ransomware at Stadtwerke Rheinau" in (out / "rheinau.md").read_text()
    # The verdict travels with the brief: who approved it and when; an unreviewed one says so.
    approval = Store(db).query(
        "SELECT actor, created_at FROM review_corrections WHERE kind = 'status' AND incident_id = 'rheinau'"
    )
    assert approval[0][0] == "ana"  # the reviewer of the client fixture
    assert brief["review"] == {"status": "approved", "by": "ana", "at": approval[0][1]}
    stamp = approval[0][1]  # "2026-11-29T01:40:12+00:00"
    shown = f"review: **approved by ana at {stamp[:10]} {stamp[11:16]} UTC**"
    assert shown in (out / "rheinau.md").read_text()
    unreviewed = json.loads((out / "single.json").read_text())["review"]
    assert unreviewed == {"status": "new", "by": None, "at": None}
    assert "review: **not reviewed**" in (out / "single.md").read_text()
    shown = cli("--db", db, "show", "rheinau")
    assert "Ransomware at Stadtwerke Rheinau" in shown.output
    assert "review: approved by" in shown.output
    html = page(create_app(db, reviewer="ana").test_client(), "/incidents/rheinau")
    assert (
        'id="status">approved<' in html and '<h1 id="headline">Ransomware at Stadtwerke Rheinau</h1>' in html
    )


def test_a_rebuild_keeps_removed_and_moved_articles_where_the_analyst_put_them(client, db):
    post(client, "/incidents/rheinau/remove", article="3")
    removed_to = next(
        i for i in (r[0] for r in Store(db).query("SELECT id FROM incidents")) if members(db, i) == {3}
    )
    result = cli("--db", db, "cluster", "--rebuild")
    assert result.exit_code == 0, result.output
    assert members(db, removed_to) == {3} and members(db, "rheinau") == {1, 2, 4, 5}
    hostile, single = members(db, "hostile"), members(db, "single")
    assert 7 in hostile and single and 7 not in single
    post(client, "/incidents/hostile/move", "hostile", article="7", target="single")
    result = cli("--db", db, "cluster", "--rebuild")
    assert result.exit_code == 0, result.output
    # a move fixes both incidents as the analyst saw them: nothing regroups around the moved article
    assert members(db, "single") == single | {7} and members(db, "hostile") == hostile - {7}
    assert members(db, "rheinau") == {1, 2, 4, 5}
    # a report moved away from the incident it closely resembles does not pull that incident along
    single = members(db, "single")
    post(client, "/incidents/rheinau/move", "rheinau", article="5", target="single")
    result = cli("--db", db, "cluster", "--rebuild")
    assert result.exit_code == 0, result.output
    assert members(db, "rheinau") == {1, 2, 4} and members(db, "single") == single | {5}
    assert_stats_current(db)
    # every rebuild is in every incident's activity log, without an undo button of its own
    html = page(client, "/incidents/rheinau")
    assert html.count("brief cluster --rebuild</strong> regrouped every incident from scratch") == 3
    assert 'name="rebuild"' not in html


def assert_stats_current(db):
    """The list's incident_stats, kept by triggers, equal the aggregate over the memberships."""
    with Store(db) as store:
        kept = {
            tuple(r)
            for r in store.query("SELECT incident_id, size, first_seen, last_seen FROM incident_stats")
        }
        counted = store.query(
            "SELECT m.incident_id, count(*), min(a.published), max(a.published) FROM incident_members m "
            "JOIN articles a ON a.id = m.article_id GROUP BY m.incident_id"
        )
    assert kept == {tuple(r) for r in counted} and kept


# `brief serve` itself


def test_serve_refuses_a_missing_or_corrupt_database(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "serve"])
    assert result.exit_code == 3 and result.output.count("\n") == 1 and "no such database" in result.output
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = CliRunner().invoke(main, ["--db", str(bad), "serve"])
    assert result.exit_code == 3 and "not a valid incident-brief database" in result.output
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--host", "0.0.0.0"], {}, "serving beyond this machine needs a token"),
        (["--host", "192.0.2.10"], {"BRIEF_TOKEN": ""}, "needs a token"),
        (["--token", "short"], {}, "--token: use at least 16 characters"),
        (["--port", "70000"], {}, "70000 is not in the range"),
    ],
)
def test_serve_argument_errors_exit_2(db, args, env, message):
    result = CliRunner().invoke(main, ["--db", str(db), "serve", *args], env=env)
    assert result.exit_code == 2 and message in result.output


def test_serve_reports_a_port_in_use(db):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["--db", str(db), "serve", "--port", str(port)])
    assert (
        result.exit_code == 2
        and f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
    )
    assert result.output.count("\n") == 1


def test_serve_runs_the_app_until_interrupted(db):
    """The real command in a process: it prints where it listens, answers, and stops on SIGINT."""
    import signal
    import subprocess
    import sys
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, "-m", "incident_brief.cli", "--db", str(db), "serve", "--port", "0",
         "--reviewer", "eve"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stderr.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+/) as eve", line).group(1)
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
        assert "reviewing as <strong>eve</strong>" in body and "rheinau" in body
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0  # waitress shuts down cleanly on Ctrl-C


def test_the_migration_indexes_existing_articles_for_search(tmp_path):
    """A database from before the review tables gets them, with its articles and actors indexed."""
    from incident_brief.corpus import store as store_module

    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    for number, script in enumerate(store_module.MIGRATIONS[:4]):
        connection.executescript(script)
        connection.execute(f"PRAGMA user_version = {number + 1}")
    connection.execute(
        "INSERT INTO articles (id, url, url_key, title, text, content_hash, fetched_at, updated_at) "
        "VALUES (1, 'u', 'u', 'Akira hits Halvorsen', 'Erpresser verschlüsselten Server', 'h', 't', 't')"
    )
    connection.execute(
        "INSERT INTO analyses VALUES (1, 'p', 'h', 't', ?)",
        (json.dumps({"actors": [{"canonical": "Akira"}]}),),
    )
    connection.commit()
    connection.close()
    with Store(path) as store:
        assert (
            store.query("SELECT rowid FROM article_search WHERE article_search MATCH 'verschlüsselten'")[0][0]
            == 1
        )
        assert [tuple(r) for r in store.query("SELECT actor, article_id FROM article_actors")] == [
            ("Akira", 1)
        ]


def test_corrections_apply_once_however_often_they_are_applied(client, db):
    """A snapshot written with the corrections, corrected again (the app's fallback for briefs written
    before `review_briefs`), is unchanged; undone corrections are ignored."""
    from incident_brief.briefs import corrections

    requirement = items(client, "rheinau", "requirement")[-1]
    post(client, "/incidents/rheinau/headline", headline="Analyst headline")
    post(
        client,
        "/incidents/rheinau/requirement/edit",
        evidence=requirement.evidence,
        statement="S",
        controls="AC-2",
    )
    post(
        client,
        "/incidents/rheinau/speaker",
        evidence=items(client, "rheinau", "quote")[0].evidence,
        name="X Y",
    )
    post(client, "/incidents/rheinau/status", status="approved")
    undo_latest(client)  # the status change: not content, and undone
    with Store(db) as store:
        machine = corrections.machine_brief(store, "rheinau")
        found = corrections.corrections_for(
            store, "rheinau", [s.article_id for s in machine.sources], include_undone=True
        )
    once = corrections.corrected(machine, found)
    assert once.to_dict() == corrections.corrected(once, found).to_dict()
    assert (
        once.headline == "Analyst headline" and machine.headline != "Analyst headline"
    )  # a copy, not the brief
    assert any(r.statement == "S" and [c.id for c in r.controls] == ["AC-2"] for r in once.requirements)


def test_move_and_merge_suggest_the_incidents_reported_closest_in_time(client):
    html = page(client, "/incidents/rheinau")
    datalist = html[html.index('<datalist id="nearby">') : html.index("</datalist>")]
    # rheinau was last reported on 5 March; single on 10 April, hostile on 2 May
    assert re.findall(r'<option value="([^"]+)">', datalist) == ["single", "hostile"]
    assert "Kestrel Freight defaced &lt;script&gt;" in datalist
    assert html.count('list="nearby"') == 5 + 1  # each article's move field and the merge field


def test_a_corrected_brief_still_follows_the_published_schema(client):
    import jsonschema

    schema = json.loads(
        (Path(__file__).parent.parent / "docs" / "brief.schema.json").read_text(encoding="utf-8")
    )
    sentence = items(client, "rheinau", "sentence")[0]
    post(client, "/incidents/rheinau/sentence", evidence=sentence.evidence, text="An analyst's sentence.")
    post(
        client, "/incidents/rheinau/speaker", evidence=items(client, "rheinau", "quote")[0].evidence, name=""
    )
    requirement = items(client, "rheinau", "requirement")[0]
    post(
        client,
        "/incidents/rheinau/requirement/edit",
        evidence=requirement.evidence,
        statement="S",
        controls="AC-2",
    )
    post(client, "/incidents/rheinau/headline", headline="H")
    brief = json.loads(client.get("/incidents/rheinau/export/json").data)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(brief)) == []
    assert brief["headline"] == "H" and brief["summary"][0]["text"] == "An analyst's sentence."
