"""The review app in a real browser: Debian's chromium, headless, driven by Playwright, against the app
served by waitress on 127.0.0.1 over a real, briefed SQLite database.

Screenshots of the list, an incident and the evidence view go to $BRIEF_TEST_ARTIFACTS (default: a
pytest temporary directory) for a person to look at.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from review_corpus import build_briefed, copy_db

from incident_brief.cli import main
from incident_brief.corpus.dedup import content_hash
from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.nlp.incidents import pin_article
from incident_brief.review.app import create_app
from incident_brief.review.serve import bind

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)"
)

# Every way in for script that a scraped page might try; each would set the page-level flag.
INJECTION = "\n".join(
    [
        "Hackers claimed the attack on Ostwind Ports <script>window.__pwned = 'script'</script> on Friday.",
        "The group posted <img src=x onerror=\"window.__pwned = 'img'\">"
        ' and <svg onload="window.__pwned=1">.',
        "Victims were told to click <a href=\"javascript:window.__pwned='link'\">here</a> or "
        "[here](javascript:window.__pwned='md').",
        '"We will leak everything" </textarea><script>alert(1)</script>, the note said.',
        "Ostwind Ports said the systems were restored \" onmouseover=\"window.__pwned='attr' on Monday.",
    ]
)
HOSTILE_ARTICLE = 7  # the brief fixtures' script-laden report, incident "hostile"
INJECTED_TITLE = "Ostwind Ports <script>window.__pwned='title'</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_briefed(tmp_path_factory.mktemp("review-browser"))


@pytest.fixture
def artifacts(tmp_path) -> Path:
    directory = Path(os.environ.get("BRIEF_TEST_ARTIFACTS") or tmp_path / "artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def db(corpus, tmp_path):
    return copy_db(corpus, tmp_path)


@pytest.fixture
def served(db):
    """The app under waitress on a free loopback port: yields its base URL."""
    import waitress
    import waitress.wasyncore

    sockets = bind("127.0.0.1", 0)
    port = sockets[0].getsockname()[1]
    server = waitress.create_server(create_app(db, reviewer="ana"), sockets=sockets, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    # closed from the server's own loop thread, so its select() never sees a closed descriptor
    server.trigger.pull_trigger(lambda: waitress.wasyncore.close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.problems = []  # console errors and uncaught exceptions: there must be none
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_review_flow_list_filter_move_approve_export_then_later_runs(
    served, page, db, artifacts, tmp_path, corpus
):
    page.goto(served + "/")
    rows = page.locator("table.incidents tbody tr")
    assert rows.count() == 3
    page.screenshot(path=artifacts / "list.png", full_page=True)

    page.select_option("select[name=lang]", "de")
    page.click("form.filters button[type=submit]")
    assert rows.count() == 1 and "lang=de" in page.url
    listed = page.locator("a.incident-link").inner_text()
    page.click("a.incident-link")
    assert page.url.endswith("/incidents/rheinau")
    assert page.locator("#headline").inner_text() == listed
    assert page.locator("ul.articles > li").count() == 5
    page.screenshot(path=artifacts / "incident.png", full_page=True)

    # a citation shows its words inside the source article, in place (JavaScript)
    cite = page.locator("ol.summary a.cite").first
    article, start, end = (int(cite.get_attribute(f"data-{n}")) for n in ("article", "start", "end"))
    cite.click()
    mark = page.locator(".evidence-panel mark")
    mark.wait_for()
    assert mark.inner_text() == corpus.texts[article][start:end].strip()
    page.screenshot(path=artifacts / "incident-evidence-panel.png")
    page.click(".evidence-panel button.close")
    assert page.locator(".evidence-panel").count() == 0

    # move the Utility News report to the Brightwell incident
    item = page.locator("#article-5")
    item.locator("input[name=target]").fill("single")
    item.get_by_role("button", name="Move", exact=True).click()
    assert "Article 5 moved to incident single." in page.locator(".flash").inner_text()
    assert page.locator("ul.articles > li").count() == 4
    assert "no longer in it #5" in page.locator(".notice.stale").inner_text()
    page.click(".notice.stale button")  # builds the brief again from the four articles left
    assert "Brief rebuilt" in page.locator(".flash").inner_text()
    assert page.locator(".notice.stale").count() == 0

    page.click("button.b-approved")
    assert page.locator("#status").inner_text() == "approved"
    log = page.locator("ol.log").inner_text()
    assert (
        "ana set the status" in log
        and "new → approved" in log
        and "moved article 5 from rheinau to single" in log
    )
    # however far down the brief the analyst reads, the side bar (exports, articles, activity log with
    # its undo buttons) fits the window and scrolls on its own: it never hangs below the screen
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    side = page.evaluate("document.querySelector('aside.side').getBoundingClientRect().toJSON()")
    assert side["top"] >= 0 and side["bottom"] <= page.viewport_size["height"]
    page.locator("ol.log").scroll_into_view_if_needed()
    assert page.locator("ol.log button", has_text="Undo").first.is_visible()
    page.screenshot(path=artifacts / "incident-activity.png")

    with page.expect_download() as download:
        page.click("a.export:text('Markdown')")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "rheinau.md" and "Ransomware" in saved.read_text()
    assert "utilitynews.example" not in saved.read_text()  # the moved article is no source of it

    page.screenshot(path=artifacts / "incident-corrected.png", full_page=True)

    # later automatic runs keep what the analyst decided
    assert cli("--db", db, "cluster").exit_code == 0
    result = cli("--db", db, "summarize", "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    assert 5 in {
        s["article_id"] for s in json.loads((tmp_path / "out" / "single.json").read_text())["sources"]
    }
    assert 5 not in {
        s["article_id"] for s in json.loads((tmp_path / "out" / "rheinau.json").read_text())["sources"]
    }
    page.goto(served + "/?status=approved")
    approved = page.locator("a.incident-link")
    assert approved.count() == 1 and approved.get_attribute("href") == "/incidents/rheinau"
    page.goto(served + "/incidents/single")
    assert page.locator("#article-5").count() == 1

    # the evidence view without JavaScript: the article page, the cited words marked
    page.goto(served + "/incidents/rheinau")
    href = page.locator("ol.summary a.cite").nth(1).get_attribute("href")
    page.goto(served + href)
    assert page.locator("mark#ev").count() == 1 and page.locator("mark#ev").is_visible()
    page.screenshot(path=artifacts / "article-evidence.png", full_page=True)
    assert page.problems == []


def add_injection(db: Path) -> int:
    with Store(db) as store, store.transaction() as connection:
        article = Article(
            url="https://ports.example/ostwind?<script>window.__pwned='url'</script>",
            canonical_url="javascript:window.__pwned='canonical'",
            title=INJECTED_TITLE,
            text=INJECTION,
            language="en",
            published="2026-05-10T10:00:00+00:00",
            site_name="Ports <script>window.__pwned='outlet'</script> Daily",
            content_hash=content_hash(INJECTION),
            fetched_at="2026-05-10T11:00:00+00:00",
        )
        article_id = store.write_article(connection, article, article.url)
        store.write_memberships(connection, {article_id: ("ostwind", "model")}, {"ostwind": INJECTED_TITLE})
    with Store(db) as store:
        # pinned, as an analyst would, and so is the hostile fixture: `brief summarize` clusters first,
        # and its refinement pass revisits a placed article it describes for the first time (this one,
        # written without features), which could join the two script-laden reports
        for pinned in (article_id, HOSTILE_ARTICLE):
            pin_article(store, pinned, actor="test")
    return article_id


def test_injected_script_never_runs(served, page, db, artifacts, tmp_path):
    article_id = add_injection(db)
    result = cli(
        "--db", db, "summarize", "--out", tmp_path / "out", "--incident", "ostwind", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective));"
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in (
        "/",
        "/?q=Ostwind",
        "/incidents/ostwind",
        f"/articles/{article_id}?hl=0-60",
        "/incidents/hostile",
    ):
        page.goto(served + path)
        page.wait_for_load_state("load")
        for link in page.locator("a.cite").all()[:3]:  # the evidence panel builds its text as text
            link.click()
            page.locator(".evidence-panel mark").wait_for()
            page.keyboard.press("Escape")
        page.mouse.move(300, 300)
        page.mouse.move(600, 500)
        assert page.evaluate("window.__pwned") is None, path
        assert page.evaluate("window.__violations") == [], path  # nothing even tried to run
    page.goto(served + "/incidents/ostwind")
    assert INJECTED_TITLE in page.locator("#headline").inner_text()  # shown as the text it is
    assert page.locator("ul.articles a.article-title").inner_text().endswith(INJECTED_TITLE)
    page.screenshot(path=artifacts / "injection-incident.png", full_page=True)
    page.goto(served + f"/articles/{article_id}?hl=0-60")
    assert page.locator("a[href^='javascript']").count() == 0
    assert "<script>window.__pwned = 'script'</script>" in page.locator(".text").inner_text()
    page.screenshot(path=artifacts / "injection-article.png", full_page=True)
    assert dialogs == [] and page.problems == []

    # and if markup ever got through, the Content-Security-Policy would stop it, and say so
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__pwned=1\">')")
    for _ in range(50):  # polled from here: wait_for_function evaluates strings, which this CSP forbids
        if page.evaluate("window.__violations.length"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__violations")[0] in ("script-src-attr", "script-src", "img-src")


def test_a_link_from_another_site_opens_the_incident_but_cannot_post(db, page, tmp_path):
    """With a token: a link pasted into chat or mail (another site) opens the page, the token cookie
    riding along; a form on another site posting to the app is refused and changes nothing."""
    import waitress
    import waitress.wasyncore

    token = "a-token-for-the-browser-test"
    sockets = bind("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    server = waitress.create_server(create_app(db, reviewer="ana", token=token), sockets=sockets, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        page.goto(f"{base}/?token={token}")  # once: the token becomes a cookie
        assert page.url == base + "/" and page.locator("a.incident-link").count() == 3
        elsewhere = tmp_path / "chat.html"  # a file: page is another site (an opaque origin)
        elsewhere.write_text(
            f'<a id="link" href="{base}/incidents/rheinau">incident</a>'
            f'<form id="form" method="post" action="{base}/incidents/rheinau/status">'
            '<input name="status" value="approved"><input name="csrf" value="guess"></form>'
        )
        page.goto(elsewhere.as_uri())
        page.click("#link")
        page.wait_for_url(f"{base}/incidents/rheinau")
        assert page.locator("#headline").count() == 1  # 200, not the 401 page
        page.goto(elsewhere.as_uri())
        with page.expect_navigation():
            page.evaluate("document.getElementById('form').submit()")
        assert "401" in page.locator("h1").inner_text()  # no cookie on another site's POST
        with Store(db) as store:
            assert store.query("SELECT count(*) FROM review_corrections")[0][0] == 0
    finally:
        server.trigger.pull_trigger(lambda: waitress.wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
