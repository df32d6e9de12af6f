"""The CLI over the library: every command, its JSON output and its exit codes (docs/cli.md)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_mirror import DEMO_SITE

from incident_brief.cli import main

RHEINPOST = DEMO_SITE / "www.rheinpost.example"
RHEINPOST_PAGES = sorted(RHEINPOST.rglob("*.html"))


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEF_COLLECT_WORKERS", "1")
    monkeypatch.delenv("BRIEF_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _one_line_error(result, code: int, words: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("brief: ")
    assert result.stderr.count("\n") == 1
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_init_writes_config_and_refuses_to_overwrite(run, tmp_path):
    assert run("init").exit_code == 0
    assert "[fetch]" in (tmp_path / "brief.toml").read_text()
    _one_line_error(run("init"), 2, "exists")
    assert run("init", "--force").exit_code == 0


def test_collect_articles_summarize(run, tmp_path):
    result = run("--db", "corpus.db", "collect", "--path", RHEINPOST, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["totals"]["new"] == len(RHEINPOST_PAGES) == summary["articles_in_store"]
    listed = [json.loads(line) for line in run("--db", "corpus.db", "articles", "--json").stdout.splitlines()]
    assert len(listed) == len(RHEINPOST_PAGES)
    assert set(listed[0]) == {
        "id",
        "external_id",
        "url",
        "canonical_url",
        "title",
        "authors",
        "published",
        "language",
        "site_name",
        "duplicate_of",
        "text",
    }
    assert all(item["language"] == "de" and item["text"] for item in listed)
    table = run("--db", "corpus.db", "articles")
    assert table.exit_code == 0 and "Rheinpost" in table.stdout
    done = run("--db", "corpus.db", "summarize", "--out", "out")
    assert done.exit_code == 0 and "out/index.html" in done.stdout
    rows = _brief_rows(tmp_path / "out" / "index.md")
    # demo/gold-de.json: the RNK-IT report is an incident of its own (the Nordwind ones: next test)
    assert [row for row in rows if "Mannheimer IT-Dienstleister" in row and "| 1 (1 independent) |" in row]


def _brief_rows(index: Path) -> list[str]:
    return [line for line in index.read_text().splitlines() if line.startswith("| [")]


def test_two_incidents_at_one_company_get_two_briefs(run, tmp_path):
    assert run("--db", "corpus.db", "collect", "--path", RHEINPOST).exit_code == 0
    assert run("--db", "corpus.db", "summarize", "--out", "out").exit_code == 0
    # demo/gold-de.json: the three Rheinpost pages report three incidents (RNK-IT ransomware; the Nordwind
    # data theft; the pro-Russian DDoS on Nordwind four days later), so three briefs.
    rows = _brief_rows(tmp_path / "out" / "index.md")
    assert len(rows) == 3 and sum("Nordwind" in row for row in rows) == 2


def test_collect_table_for_people(run):
    result = run("--db", "corpus.db", "collect", "--path", RHEINPOST)
    assert result.exit_code == 0
    assert "new" in result.stdout and f"{len(RHEINPOST_PAGES)} articles in corpus.db" in result.stdout


def test_collect_sources_from_config(run, tmp_path):
    (tmp_path / "brief.toml").write_text(
        f'db = "from-config.db"\n[[sources]]\nname = "rheinpost"\npath = "{RHEINPOST}"\n'
        f'[[sources]]\nname = "other"\npath = "{DEMO_SITE / "www.cloudledger.example"}"\n'
    )
    result = run("collect", "--source", "rheinpost", "--json")
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in json.loads(result.stdout)["sources"]] == ["rheinpost"]
    assert (tmp_path / "from-config.db").exists()
    _one_line_error(run("collect", "--source", "nope"), 2, "unknown source 'nope'")


def test_extract_prints_json_without_database(run, tmp_path):
    page = RHEINPOST_PAGES[0]
    result = run("extract", page, "--url", "https://www.rheinpost.example/x.html", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {
        "url",
        "canonical_url",
        "title",
        "authors",
        "published",
        "modified",
        "language",
        "language_confidence",
        "site_name",
        "description",
        "tags",
        "text",
        "extractor",
    }
    assert data["url"] == "https://www.rheinpost.example/x.html"
    assert data["canonical_url"].startswith("https://www.rheinpost.example/")
    assert not (tmp_path / "brief.db").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["collect", "--since", "gestern", "--path", "."], "--since"),
        (["collect", "--url", "ftp://example.org/x"], "not an http(s) URL"),
        (["collect"], "no sources"),
        (["extract", "missing.html"], "no such file"),
    ],
)
def test_bad_usage_exits_2_with_one_line(run, args, words):
    _one_line_error(run(*args), 2, words)


def test_click_usage_errors_exit_2(run):
    assert run("collect", "--path", "does/not/exist").exit_code == 2
    assert run("collect", "--max-articles", "0", "--path", ".").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_config_error_names_the_line(run, tmp_path):
    (tmp_path / "brief.toml").write_text('db = "x.db"\n[fetch]\ntimeout = "soon"\n')
    _one_line_error(run("collect", "--path", RHEINPOST), 2, "brief.toml, line 3")


def test_corrupt_database_exits_3_and_is_left_alone(run, tmp_path):
    (tmp_path / "brief.db").write_bytes(b"\x00garbage" * 512)
    _one_line_error(run("collect", "--path", RHEINPOST), 3, "not a valid incident-brief database")
    _one_line_error(run("articles"), 3, "not a valid incident-brief database")
    assert (tmp_path / "brief.db").read_bytes() == b"\x00garbage" * 512


def test_read_only_database_exits_3_and_keeps_its_articles(run, tmp_path, read_only):
    assert run("collect", "--path", RHEINPOST).exit_code == 0
    with read_only(tmp_path / "brief.db"):
        _one_line_error(run("collect", "--path", DEMO_SITE / "www.cloudledger.example"), 3, "brief.db")
    listed = run("articles", "--json").stdout.splitlines()
    assert len(listed) == len(RHEINPOST_PAGES)


def test_articles_without_database_exits_3(run):
    _one_line_error(run("articles"), 3, "no such database")


def test_summarize_into_unwritable_place(run, tmp_path):
    assert run("collect", "--path", RHEINPOST).exit_code == 0
    (tmp_path / "blocker").write_text("a file where the output directory should be")
    _one_line_error(run("summarize", "--out", Path("blocker") / "sub"), 2, "cannot write")


def test_extract_reads_a_text_file_as_a_plain_text_article(run, tmp_path):
    article = tmp_path / "breach.txt"
    article.write_text(
        "Retailer confirms breach of loyalty database\n"
        "Attackers copied the names and e-mail addresses of 40,000 members, the company said on Friday.\n",
        encoding="utf-8",
    )
    result = run("extract", str(article))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] == "Retailer confirms breach of loyalty database"
    assert data["text"].startswith("Attackers copied the names") and data["extractor"] == "plain-text"
    assert data["language"] == "en"
