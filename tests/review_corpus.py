"""The review app's test database: the brief fixtures (tests/brief_fixtures.py) in their incidents
(rheinau, single, hostile), analysed and briefed by the real `brief summarize`."""

from __future__ import annotations

import shutil
from pathlib import Path

from brief_fixtures import Corpus, build_corpus
from click.testing import CliRunner

from incident_brief.cli import main
from incident_brief.corpus.store import Store


def build_briefed(directory: Path) -> Corpus:
    corpus = build_corpus(directory / "brief.db")
    with Store(corpus.path) as store, store.transaction() as db:
        assignments = {i: (key, "model") for key, ids in corpus.incidents.items() for i in ids}
        store.write_memberships(db, assignments, {key: "" for key in corpus.incidents})
    result = CliRunner().invoke(
        main, ["--db", str(corpus.path), "summarize", "--out", str(directory / "out"), "--json"]
    )
    assert result.exit_code == 0, result.output
    return corpus


def copy_db(corpus: Corpus, target: Path) -> Path:
    path = target / "brief.db"
    shutil.copy(corpus.path, path)
    return path
