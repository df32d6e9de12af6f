"""`brief summarize`, `brief show` and `brief list` through click's CliRunner on a real database."""

from __future__ import annotations

import json
import shutil

import pytest
from brief_fixtures import build_corpus
from click.testing import CliRunner

from incident_brief.cli import main
from incident_brief.corpus.store import Store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The fixture corpus, analysed, with its incidents set as an analyst would (clustering keeps them)."""
    corpus = build_corpus(tmp_path_factory.mktemp("cli") / "brief.db")
    with Store(corpus.path) as store, store.transaction() as db:
        assignments = {i: (key, "analyst") for key, ids in corpus.incidents.items() for i in ids}
        store.write_memberships(db, assignments, {key: "" for key in corpus.incidents})
    return corpus


@pytest.fixture
def db(analysed, tmp_path):
    path = tmp_path / "brief.db"
    shutil.copy(analysed.path, path)
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_summarize_writes_every_format_and_an_index(db, tmp_path):
    out = tmp_path / "out"
    result = run("--db", str(db), "summarize", "--out", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert f"wrote 3 briefs (md, html, json, stix) to {out}; open {out / 'index.html'}" in result.output
    for incident in ("rheinau", "single", "hostile"):
        for extension in ("md", "html", "json", "stix.json"):
            assert (out / f"{incident}.{extension}").stat().st_size > 0
    brief = json.loads((out / "rheinau.json").read_text())
    assert brief["incident_id"] == "rheinau" and {s["language"] for s in brief["sources"]} == {"de", "en"}


def test_list_and_show_read_the_stored_briefs(db, tmp_path):
    run("--db", str(db), "summarize", "--out", str(tmp_path / "out"), "--format", "json")
    listed = run("--db", str(db), "list", "--json")
    rows = {json.loads(line)["incident_id"]: json.loads(line) for line in listed.output.splitlines()}
    assert set(rows) == {"rheinau", "single", "hostile"}
    assert rows["rheinau"]["languages"] == ["de", "en"] and rows["rheinau"]["independent_sources"] == 4
    assert rows["single"]["confidence"] == "low"
    table = run("--db", str(db), "list")
    assert table.exit_code == 0 and "rheinau" in table.output
    shown = run("--db", str(db), "show", "hostile")
    assert shown.exit_code == 0
    assert "Kestrel Freight" in shown.output and "<script>alert('x')</script>" in shown.output
    assert "\u202e" not in shown.output and "\x07" not in shown.output


def test_show_of_an_unknown_incident_is_a_one_line_error(db):
    result = CliRunner().invoke(main, ["--db", str(db), "show", "nope"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "brief: no brief of incident 'nope'; run `brief summarize` (`brief list` lists briefs)"
    ]


def test_incident_and_since_select_what_is_briefed(db, tmp_path):
    out = tmp_path / "out"
    result = run("--db", str(db), "summarize", "--out", str(out), "--incident", "single", "--format", "md")
    assert result.exit_code == 0 and sorted(p.name for p in out.iterdir()) == ["index.md", "single.md"]
    later = tmp_path / "later"
    result = run(
        "--db", str(db), "summarize", "--out", str(later), "--since", "2026-04-01", "--format", "json"
    )
    assert result.exit_code == 0
    assert sorted(p.name for p in later.iterdir()) == ["hostile.json", "index.json", "single.json"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "md,pdf"], "brief: --format: unknown format 'pdf' (use md,html,json,stix)"),
        (["--lang", "english"], "brief: --lang: not a language code (ISO 639-1, e.g. de): 'english'"),
        (["--since", "last week"], "brief: --since: not a date (YYYY-MM-DD): 'last week'"),
        (["--incident", "nope"], "brief: --incident: no incident 'nope' (`brief incidents` lists them)"),
    ],
)
def test_bad_options_are_one_line_usage_errors(db, tmp_path, args, message):
    result = CliRunner().invoke(main, ["--db", str(db), "summarize", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [message]


def test_an_unwritable_output_directory_fails_before_any_work(db, tmp_path, read_only):
    out = tmp_path / "out"
    out.mkdir()
    with read_only(out):
        result = CliRunner().invoke(main, ["--db", str(db), "summarize", "--out", str(out)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"brief: cannot write to {out}: ")
    assert list(out.iterdir()) == []
    assert run("--db", str(db), "list", "--json").output == ""  # no brief recorded
