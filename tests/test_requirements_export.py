"""Requirement exports (JSONL, CSV, STIX 2.1, OSCAL) from a real SQLite store, through the library and
the `brief export requirements` command; STIX checked with stix2-validator, OSCAL with trestle."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from stix2validator import ValidationOptions, validate_string
from trestle.oscal.profile import Profile

from incident_brief.briefs import oscal, stix
from incident_brief.briefs.files import write_file_atomically
from incident_brief.briefs.requirements_export import (
    CSV_COLUMNS,
    FORMATS,
    iter_requirements,
    requirements_bundle,
    requirements_profile,
    spreadsheet_safe,
    write_csv,
    write_jsonl,
    write_requirements,
)
from incident_brief.cli import export_requirements_command, main
from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.errors import UsageError

PIPELINE = "test-pipeline"
FETCHED_AT = "2024-11-02T10:00:00+00:00"
MOSES = {"text": "Moses", "canonical": "CJ Moses", "kb_id": None}
AMAZON = {"text": "Amazon", "canonical": "Amazon", "kb_id": "org:amazon"}
MICROSOFT = {"text": "Microsoft", "canonical": "Microsoft", "kb_id": "org:microsoft"}

RHEINPOST_TEXT = (
    "Amazon hat Microsoft 365 erst nach langen Verhandlungen eingeführt. "
    "Moses sagte, Amazon habe von Microsoft nahezu Echtzeit-Zugriff auf alle Protokolle verlangt. "
    "„Wir wollten sicherstellen, dass alles protokolliert wird“, sagte Moses. "
    "Microsoft dürfe keine Administratorkonten ohne Mehr-Faktor-Authentifizierung zulassen, forderte Amazon."
)
LOG_SENTENCE = "Moses sagte, Amazon habe von Microsoft nahezu Echtzeit-Zugriff auf alle Protokolle verlangt."
MFA_SENTENCE = (
    "Microsoft dürfe keine Administratorkonten ohne Mehr-Faktor-Authentifizierung zulassen, forderte Amazon."
)
RETENTION_SENTENCE = (
    "Cloud providers should keep security logs for at least twelve months, the Nordmark Cyber Agency said."
)


def _log_requirement(**changes) -> dict:
    start = RHEINPOST_TEXT.index(LOG_SENTENCE)
    record = {
        "id": "r1",
        "text": LOG_SENTENCE,
        "start": start,
        "end": start + len(LOG_SENTENCE),
        "statement": "Microsoft must provide near-real-time access to all logs",
        "requester": MOSES,
        "addressee": MICROSOFT,
        "modality": "must",
        "polarity": "positive",
        "concepts": ["logging", "log-access"],
        "controls": [
            {"id": "AU-6", "title": "Audit Record Review, Analysis, and Reporting", "score": 0.92},
            {"id": "AU-12", "title": "Audit Record Generation", "score": 0.81},
            {"id": "SI-4", "title": "System Monitoring", "score": 0.6},
        ],
        "mitigations": [{"id": "M1047", "name": "Audit", "score": 0.8}],
        "quote_id": "q1",
        "language": "de",
        "confidence": 0.85,
    }
    return {**record, **changes}


def _mfa_requirement() -> dict:
    start = RHEINPOST_TEXT.index(MFA_SENTENCE)
    return {
        "id": "r2",
        "text": MFA_SENTENCE,
        "start": start,
        "end": start + len(MFA_SENTENCE),
        "statement": "Microsoft must not allow administrator accounts without multi-factor authentication",
        "requester": AMAZON,
        "addressee": MICROSOFT,
        "modality": "must",
        "polarity": "negative",
        "concepts": ["authentication", "mfa"],
        "controls": [
            {"id": "IA-2(1)", "title": "Multi-factor Authentication to Privileged Accounts", "score": 0.88},
            {"id": "IA-2", "title": "Identification and Authentication (Organizational Users)", "score": 0.7},
        ],
        "mitigations": [{"id": "M1032", "name": "Multi-factor Authentication", "score": 0.9}],
        "quote_id": None,
        "language": "de",
        "confidence": 0.8,
    }


def _retention_requirement() -> dict:
    return {
        "id": "r1",
        "text": RETENTION_SENTENCE,
        "start": 0,
        "end": len(RETENTION_SENTENCE),
        "statement": "Cloud providers should retain security logs for at least twelve months",
        "requester": {"text": "Nordmark Cyber Agency", "canonical": "Nordmark Cyber Agency", "kb_id": None},
        "addressee": None,
        "modality": "should",
        "polarity": "positive",
        "concepts": ["log-retention"],
        "controls": [{"id": "AU-11", "title": "Audit Record Retention", "score": 0.9}],
        "mitigations": [],
        "quote_id": None,
        "language": "en",
        "confidence": 0.75,
    }


def _analysis(requirements: list[dict], *, language: str = "de", with_quote: bool = True) -> dict:
    # the reported speech that carries the logging demand
    quote_text = "Amazon habe von Microsoft nahezu Echtzeit-Zugriff auf alle Protokolle verlangt"
    start = RHEINPOST_TEXT.find(quote_text)
    return {
        "id": None,
        "language": language,
        "entities": [
            {"text": "Moses", "label": "PER", "start": 0, "end": 5, "canonical": "CJ Moses", "kb_id": None},
            {"text": "Amazon", "label": "ORG", "start": 0, "end": 6, "canonical": "Amazon", "kb_id": None},
            {"text": "Microsoft", "label": "ORG", "start": 0, "end": 9, "canonical": "Microsoft"},
            {"text": "Nordmark Cyber Agency", "label": "ORG", "start": 0, "end": 21},
        ],
        "quotes": (
            [
                {
                    "id": "q1",
                    "text": quote_text,
                    "kind": "indirect",
                    "speaker": MOSES,
                    "start": start,
                    "end": start + len(quote_text),
                }
            ]
            if with_quote
            else []
        ),
        "requirements": requirements,
        "pipeline": PIPELINE,
    }


def _add(store: Store, article: Article, analysis: dict | None) -> int:
    with store.transaction() as db:
        article_id = store.write_article(db, article, url_key=article.url)
        if analysis is not None:
            store.write_analysis(db, article_id, PIPELINE, article.content_hash, analysis)
    return article_id


def _rheinpost(**changes) -> Article:
    fields = {
        "url": "https://www.rheinpost.example/wirtschaft/amazon-microsoft-protokolle.html",
        "text": RHEINPOST_TEXT,
        "title": "Amazon verlangt von Microsoft Zugriff auf alle Protokolle",
        "external_id": "rp-4711",
        "published": "2024-10-31",
        "language": "de",
        "site_name": "Rheinpost",
        "content_hash": "hash-rheinpost",
        "fetched_at": FETCHED_AT,
    }
    return Article(**{**fields, **changes})


@pytest.fixture
def corpus(tmp_path) -> Path:
    """Three analysed articles: the Rheinpost report (two requirements), a syndicated copy of it
    at the Neckar-Bote repeating the logging demand, and an English report with a third one."""
    path = tmp_path / "brief.db"
    with Store(path) as store:
        original = _add(store, _rheinpost(), _analysis([_log_requirement(), _mfa_requirement()]))
        _add(
            store,
            _rheinpost(
                url="https://neckar-bote.example/digital/2024/11/01/amazon-logs",
                title="Amazon fordert Echtzeit-Protokolle von Microsoft",
                external_id=None,
                published="2024-11-01",
                site_name="Neckar-Bote",
                content_hash="hash-neckar",
                duplicate_of=original,
                duplicate_kind="near",
            ),
            _analysis([_log_requirement()]),
        )
        _add(
            store,
            Article(
                url="https://news.cloudledger.example/2024/11/regulator-log-retention",
                text=RETENTION_SENTENCE,
                title="Regulator: keep cloud logs for a year",
                published="2024-11-02T09:30:00+01:00",
                language="en",
                site_name="CloudLedger",
                content_hash="hash-cloudledger",
                fetched_at=FETCHED_AT,
            ),
            _analysis([_retention_requirement()], language="en", with_quote=False),
        )
    return path


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRIEF_CONFIG", raising=False)
    monkeypatch.delenv("BRIEF_DB", raising=False)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _rows(path: Path, article_ids=None):
    with Store(path, readonly=True) as store:
        return list(iter_requirements(store, article_ids))


def _export(path: Path, export_format: str, article_ids=None) -> str:
    stream = io.StringIO(newline="")
    with Store(path, readonly=True) as store:
        write_requirements(iter_requirements(store, article_ids), export_format, stream)
    return stream.getvalue()


def _stix_results(text: str):
    results = validate_string(text, ValidationOptions(version="2.1"))
    return results, [str(e) for e in results.errors], [str(w) for w in results.warnings]


def _one_line_error(result, code: int, words: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("brief: ")
    assert words in result.stderr
    assert "Traceback" not in result.output


# Reading


def test_rows_carry_their_article_and_merge_syndicated_repeats(corpus):
    rows = _rows(corpus)
    assert [row.key for row in rows] == ["1:r1", "1:r2", "3:r1"]
    logs, mfa, retention = rows
    assert logs.article.url == "https://www.rheinpost.example/wirtschaft/amazon-microsoft-protokolle.html"
    assert (logs.article.outlet, logs.article.external_id, logs.article.published) == (
        "Rheinpost",
        "rp-4711",
        "2024-10-31",
    )
    # the copy repeats the demand: one requirement, two sources
    assert [a.url for a in logs.also_in] == ["https://neckar-bote.example/digital/2024/11/01/amazon-logs"]
    assert mfa.also_in == [] and retention.also_in == []
    assert RHEINPOST_TEXT[logs.start : logs.end] == LOG_SENTENCE
    # kinds come from the analysis' entity labels
    assert (logs.requester.kind, logs.addressee.kind) == ("individual", "organization")
    assert retention.requester.kind == "organization" and retention.addressee is None
    assert logs.quote.text.startswith("Amazon habe") and logs.quote.speaker == "CJ Moses"
    assert mfa.modal_phrase == "must not"


def test_selection_by_article_ids(corpus):
    assert [row.key for row in _rows(corpus, [3])] == ["3:r1"]
    # the copy alone: it is the source, nothing to merge with
    only_copy = _rows(corpus, {2})
    assert [row.key for row in only_copy] == ["2:r1"] and only_copy[0].also_in == []
    assert _rows(corpus, []) == []


def test_reading_in_small_batches_keeps_duplicate_groups_whole(corpus, monkeypatch):
    from incident_brief.briefs import requirements_export

    monkeypatch.setattr(requirements_export, "_BATCH_ARTICLES", 1)
    rows = _rows(corpus)
    assert [row.key for row in rows] == ["1:r1", "1:r2", "3:r1"]
    assert [a.id for a in rows[0].also_in] == [2]


def test_a_demand_made_twice_in_one_article_stays_two(tmp_path):
    path = tmp_path / "brief.db"
    with Store(path) as store:
        _add(store, _rheinpost(), _analysis([_log_requirement(), _log_requirement(id="r5", start=0, end=10)]))
    assert [row.key for row in _rows(path)] == ["1:r1", "1:r5"]


# JSONL and CSV


def test_jsonl_records(corpus):
    records = [json.loads(line) for line in _export(corpus, "jsonl").splitlines()]
    assert len(records) == 3
    first = records[0]
    assert first["schema_version"] == 1 and first["key"] == "1:r1"
    assert first["statement"] == "Microsoft must provide near-real-time access to all logs"
    assert first["requester"] == {
        "text": "Moses",
        "canonical": "CJ Moses",
        "kb_id": None,
        "kind": "individual",
    }
    assert first["controls"][0] == {
        "id": "AU-6",
        "title": "Audit Record Review, Analysis, and Reporting",
        "score": 0.92,
    }
    assert first["quote"]["id"] == "q1" == first["quote_id"]
    assert first["article"]["title"] == "Amazon verlangt von Microsoft Zugriff auf alle Protokolle"
    assert [a["id"] for a in first["also_in"]] == [2]
    assert records[1]["polarity"] == "negative"
    assert records[2]["article"]["published"] == "2024-11-02T09:30:00+01:00"


def test_csv_header_and_row(corpus):
    text = _export(corpus, "csv")
    assert text.splitlines()[0] == (
        "schema_version,key,article_id,external_id,statement,modality,polarity,requester,addressee,"
        "top_control,top_control_title,controls,mitigations,concepts,confidence,language,evidence,"
        "evidence_start,evidence_end,quote_id,source_url,title,outlet,published,also_in"
    )
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 3
    first = rows[0]
    assert first["key"] == "1:r1" and first["article_id"] == "1" and first["external_id"] == "rp-4711"
    assert first["statement"] == "Microsoft must provide near-real-time access to all logs"
    assert (first["requester"], first["addressee"]) == ("CJ Moses", "Microsoft")
    assert first["top_control"] == "AU-6" and first["controls"] == "AU-6;AU-12;SI-4"
    assert first["top_control_title"] == "Audit Record Review, Analysis, and Reporting"
    assert first["mitigations"] == "M1047" and first["concepts"] == "logging;log-access"
    assert first["evidence"] == LOG_SENTENCE and first["confidence"] == "0.85"
    assert first["source_url"] == "https://www.rheinpost.example/wirtschaft/amazon-microsoft-protokolle.html"
    assert first["also_in"] == "https://neckar-bote.example/digital/2024/11/01/amazon-logs"
    assert rows[2]["addressee"] == "" and rows[2]["external_id"] == ""
    assert rows[1]["controls"] == "IA-2(1);IA-2" and rows[1]["polarity"] == "negative"


def test_spreadsheet_guard():
    assert spreadsheet_safe('=HYPERLINK("http://x.example")') == '\'=HYPERLINK("http://x.example")'
    assert spreadsheet_safe("+49 30 1234") == "'+49 30 1234"
    assert spreadsheet_safe("-2+3") == "'-2+3"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("\tTab") == "'\tTab"
    assert spreadsheet_safe("Bell\x07 and NUL\x00 go") == "Bell and NUL go"
    assert spreadsheet_safe("line\r\nbreak") == "line\nbreak"
    assert spreadsheet_safe("a = b") == "a = b"
    assert spreadsheet_safe(0.85) == "0.85" and spreadsheet_safe(None) == ""


# STIX


def test_stix_bundle_content_and_validation(corpus):
    text = _export(corpus, "stix")
    bundle = json.loads(text)
    by_type: dict[str, list[dict]] = {}
    for item in bundle["objects"]:
        by_type.setdefault(item["type"], []).append(item)
    assert {k: len(v) for k, v in by_type.items()} == {
        "identity": 4,
        "course-of-action": 3,
        "note": 3,
        "relationship": 5,
    }
    logs = next(o for o in by_type["course-of-action"] if o["name"].startswith("Microsoft must provide"))
    nist = [r for r in logs["external_references"] if r["source_name"] == "NIST SP 800-53 Rev. 5"]
    assert [r["external_id"] for r in nist] == ["AU-6", "AU-12", "SI-4"]
    assert nist[0]["url"].endswith("?element=AU-06")
    attack = [r for r in logs["external_references"] if r["source_name"] == "mitre-attack"]
    assert attack == [
        {
            "source_name": "mitre-attack",
            "external_id": "M1047",
            "url": "https://attack.mitre.org/mitigations/M1047/",
            "description": "Audit",
        }
    ]
    sources = [r["url"] for r in logs["external_references"] if "url" in r and "example" in r["url"]]
    assert sources == [
        "https://www.rheinpost.example/wirtschaft/amazon-microsoft-protokolle.html",
        "https://neckar-bote.example/digital/2024/11/01/amazon-logs",
    ]
    assert logs["confidence"] == 85 and logs["labels"] == ["logging", "log-access"]
    identities = {o["name"]: o for o in by_type["identity"]}
    assert identities["CJ Moses"]["identity_class"] == "individual"
    assert identities["Microsoft"]["identity_class"] == "organization"
    assert identities["CJ Moses"]["id"] == stix.deterministic_id("identity", "CJ Moses")
    # relationships run from the people and organisations to what they request or are asked to do
    to_logs = {r["source_ref"]: r for r in by_type["relationship"] if r["target_ref"] == logs["id"]}
    assert set(to_logs) == {identities["CJ Moses"]["id"], identities["Microsoft"]["id"]}
    assert all(r["relationship_type"] == "related-to" for r in by_type["relationship"])
    assert "requester" in to_logs[identities["CJ Moses"]["id"]]["description"]
    note = next(n for n in by_type["note"] if n["object_refs"] == [logs["id"]])
    assert note["content"] == (
        "“Amazon habe von Microsoft nahezu Echtzeit-Zugriff auf alle Protokolle verlangt” (CJ Moses)\n"
        "Source: Amazon verlangt von Microsoft Zugriff auf alle Protokolle, Rheinpost, 2024-10-31 "
        "<https://www.rheinpost.example/wirtschaft/amazon-microsoft-protokolle.html>"
    )
    assert note["lang"] == "de"

    results, errors, warnings = _stix_results(text)
    assert results.is_valid and errors == []
    # warnings only: deterministic ids (103: UUIDv5 where v4 is recommended) and external references
    # with a URL but no hash of the page (302)
    assert warnings and {re.search(r"{(\d+)}", w).group(1) for w in warnings} == {"103", "302"}


def test_stix_export_is_deterministic_and_the_library_bundle(corpus):
    text = _export(corpus, "stix")
    assert text == _export(corpus, "stix")
    # the streamed file is the stix2 Bundle the library builds
    assert json.loads(text) == json.loads(requirements_bundle(_rows(corpus)).serialize())


def test_stix_ids_do_not_depend_on_database_ids(tmp_path, corpus):
    """The same article stored under another id in another database gives the same objects."""
    other = tmp_path / "other.db"
    with Store(other) as store:
        _add(
            store,
            Article(url="https://elsewhere.example/a", text="x", content_hash="h", fetched_at=FETCHED_AT),
            None,
        )
        _add(store, _rheinpost(), _analysis([_log_requirement(), _mfa_requirement()]))
    ids = {o["id"] for o in json.loads(_export(other, "stix"))["objects"] if o["type"] != "bundle"}
    original = {o["id"] for o in json.loads(_export(corpus, "stix", [1]))["objects"]}
    coa = {i for i in original if i.startswith("course-of-action--")}
    assert coa and coa <= ids


# OSCAL


def test_oscal_profile_loads_in_trestle_and_includes_the_controls(corpus):
    document = json.loads(_export(corpus, "oscal"))
    profile = Profile.parse_obj(document["profile"])
    assert profile.metadata.title == "Security requirements found in news coverage (incident-brief)"
    body = document["profile"]
    assert body["metadata"]["oscal-version"] == oscal.OSCAL_VERSION == "1.1.2"
    (source,) = body["imports"]
    assert source["href"] == oscal.NIST_800_53_REV5_CATALOG
    assert source["include-controls"][0]["with-ids"] == ["au-6", "au-11", "au-12", "ia-2", "ia-2.1", "si-4"]
    resources = body["back-matter"]["resources"]
    assert [r["title"] for r in resources] == [
        "Microsoft must provide near-real-time access to all logs",
        "Microsoft must not allow administrator accounts without multi-factor authentication",
        "Cloud providers should retain security logs for at least twelve months",
    ]
    assert resources[0]["rlinks"][1]["href"] == "https://neckar-bote.example/digital/2024/11/01/amazon-logs"
    props = {p["name"]: p["value"] for p in resources[1]["props"]}
    assert (props["modality"], props["polarity"], props["requester"]) == ("must", "negative", "Amazon")
    alters = {a["control-id"]: a for a in body["modify"]["alters"]}
    (part,) = alters["au-6"]["adds"][0]["parts"]
    assert part["links"] == [{"href": f"#{resources[0]['uuid']}", "rel": "reference"}]
    assert part["prose"] == (
        "Requirement from news coverage (match 0.92): Microsoft must provide near-real-time access to all"
        " logs, requested by CJ Moses of Microsoft."
    )
    assert body["metadata"]["last-modified"].endswith("Z")
    assert _export(corpus, "oscal") == _export(corpus, "oscal")


def test_oscal_profile_resolves_against_a_local_catalog(corpus, shared, tmp_path):
    """trestle resolves the profile against the MODERATE baseline catalog: the controls come back with
    the requirement added as guidance."""
    from trestle.core.profile_resolver import ProfileResolver

    catalog = (
        shared / "data/security/nist80053/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json"
    )
    with Store(corpus, readonly=True) as store:
        document = requirements_profile(iter_requirements(store), catalog_href=str(catalog))
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(document))
    (tmp_path / ".trestle").mkdir()
    resolved = ProfileResolver.get_resolved_profile_catalog(tmp_path, str(path))
    controls = {c.id: c for g in resolved.groups for c in g.controls or []}
    assert "au-6" in controls and "ia-2" in controls
    prose = [p.prose for p in controls["au-6"].parts if p.name == "guidance" and p.id.startswith("au-6_ib-")]
    assert prose and "near-real-time access to all logs" in prose[0]


def test_oscal_control_ids():
    assert oscal.oscal_control_id("AU-6") == "au-6"
    assert oscal.oscal_control_id("AU-6(3)") == "au-6.3"
    assert oscal.oscal_control_id("AC-02(01)") == "ac-2.1"
    assert oscal.oscal_control_id("not a control") is None
    assert sorted(["au-12", "au-6.3", "au-6", "ac-2"], key=oscal.control_sort_key) == [
        "ac-2",
        "au-6",
        "au-6.3",
        "au-12",
    ]


# Empty selections, bad text, bad input


@pytest.mark.parametrize("export_format", FORMATS)
def test_empty_selection_is_valid_empty_output(corpus, export_format):
    text = _export(corpus, export_format, article_ids=[])
    if export_format == "jsonl":
        assert text == ""
    elif export_format == "csv":
        assert text == ",".join(CSV_COLUMNS) + "\r\n"
    elif export_format == "stix":
        bundle = json.loads(text)
        assert bundle["type"] == "bundle" and "objects" not in bundle
        results, errors, _ = _stix_results(text)
        assert results.is_valid and errors == []
    else:
        document = json.loads(text)
        Profile.parse_obj(document["profile"])
        (source,) = document["profile"]["imports"]
        assert source["include-all"] == {}
        assert source["exclude-controls"] == [{"matching": [{"pattern": "*"}]}]
        assert "back-matter" not in document["profile"] and "modify" not in document["profile"]


def test_formula_control_characters_and_html_in_scraped_text(tmp_path):
    hostile = "=cmd|' /C calc'!A0 <script>alert(1)</script>\x07 Alle Protokolle müssen vorliegen."
    path = tmp_path / "brief.db"
    with Store(path) as store:
        _add(
            store,
            _rheinpost(title="@Amazon <b>fordert</b>\x1b Protokolle"),
            _analysis(
                [
                    _log_requirement(
                        text=hostile,
                        requester={"text": "-Moses", "canonical": "-Moses", "kb_id": None},
                        quote_id=None,
                    )
                ]
            ),
        )
    (record,) = [json.loads(line) for line in _export(path, "jsonl").splitlines()]
    assert record["text"] == hostile  # JSON Lines keep the text as written

    (row,) = list(csv.DictReader(io.StringIO(_export(path, "csv"), newline="")))
    assert (
        row["evidence"] == "'=cmd|' /C calc'!A0 <script>alert(1)</script> Alle Protokolle müssen vorliegen."
    )
    assert row["requester"] == "'-Moses" and row["title"] == "'@Amazon <b>fordert</b> Protokolle"

    stix_text = _export(path, "stix")
    results, errors, _ = _stix_results(stix_text)
    assert results.is_valid and errors == []
    assert "\\u0007" not in stix_text and "\x07" not in stix_text
    action = next(o for o in json.loads(stix_text)["objects"] if o["type"] == "course-of-action")
    assert "<script>alert(1)</script> Alle Protokolle" in action["description"]

    document = json.loads(_export(path, "oscal"))
    Profile.parse_obj(document["profile"])
    (resource,) = document["profile"]["back-matter"]["resources"]
    assert "\\<script\\>alert(1)\\</script\\>" in resource["description"]
    assert "\x07" not in json.dumps(document, ensure_ascii=False)


def test_malformed_records_are_skipped_and_reported(tmp_path):
    path = tmp_path / "brief.db"
    with Store(path) as store:
        broken = _log_requirement(id="r3")
        del broken["statement"]
        records = [_log_requirement(modality="perhaps"), _mfa_requirement(), "oops", broken]
        _add(store, _rheinpost(), _analysis(records))
    reported = []
    with Store(path, readonly=True) as store:
        rows = list(iter_requirements(store, on_malformed=lambda aid, why: reported.append((aid, why))))
    assert [row.key for row in rows] == ["1:r2"]
    assert reported[0] == (1, "requirement r1: modality 'perhaps' is not one of must, should, may")
    assert reported[1] == (1, "requirement ?: not a JSON object")
    assert reported[2] == (1, "requirement r3: no 'statement'")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "requirements.csv"
    target.write_text("old export\n")

    def fail(stream):
        stream.write("half a file")
        raise UsageError("stop")

    with pytest.raises(UsageError):
        write_file_atomically(target, fail)
    assert target.read_text() == "old export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["requirements.csv"]
    assert write_file_atomically(target, lambda stream: write_jsonl([], stream)) == 0
    assert target.read_text() == "" and oct(target.stat().st_mode & 0o777) == "0o644"


def test_unknown_format_in_the_library():
    with pytest.raises(UsageError, match="jsonl, csv, stix, oscal"):
        write_requirements([], "xml", io.StringIO())


# The command


def test_cli_formats_match_the_library():
    (option,) = [p for p in export_requirements_command.params if p.name == "export_format"]
    assert tuple(option.type.choices) == FORMATS


@pytest.mark.parametrize("export_format", FORMATS)
def test_cli_exports_every_format_to_stdout_and_file(run, corpus, export_format, tmp_path):
    result = run("--db", corpus, "export", "requirements", "--format", export_format)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode("utf-8") == _export(corpus, export_format)
    out = tmp_path / f"requirements.{export_format}"
    result = run("--db", corpus, "export", "requirements", "--format", export_format, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 3 requirements to {out}\n"
    assert out.read_bytes().decode("utf-8") == _export(corpus, export_format)


def test_cli_default_format_is_jsonl(run, corpus):
    result = run("--db", corpus, "export", "requirements")
    assert [json.loads(line)["key"] for line in result.stdout.splitlines()] == ["1:r1", "1:r2", "3:r1"]


def test_cli_unknown_format_lists_the_formats(run, corpus):
    result = run("--db", corpus, "export", "requirements", "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'jsonl', 'csv', 'stix', 'oscal'" in result.stderr


def test_cli_unwritable_out_is_one_line_exit_2(run, corpus, tmp_path):
    result = run("--db", corpus, "export", "requirements", "--out", tmp_path / "no/such/dir/out.jsonl")
    _one_line_error(result, 2, "cannot write")
    assert result.stderr.count("\n") == 1
    (tmp_path / "file").write_text("x")
    _one_line_error(
        run("--db", corpus, "export", "requirements", "--out", tmp_path / "file/out"), 2, "cannot write"
    )


def test_cli_database_without_analyses(run, tmp_path):
    with Store(tmp_path / "plain.db") as store:
        _add(store, _rheinpost(), None)
    for export_format in FORMATS:
        result = run("--db", "plain.db", "export", "requirements", "--format", export_format)
        assert result.exit_code == 0, result.output
        assert "no article in plain.db is analysed yet" in result.stderr
    assert run("--db", "plain.db", "export", "requirements", "--format", "csv").stdout_bytes.decode() == (
        ",".join(CSV_COLUMNS) + "\r\n"
    )


def test_cli_corrupt_database_exits_3_and_is_left_alone(run, tmp_path):
    (tmp_path / "brief.db").write_bytes(b"\x00garbage" * 512)
    result = run("export", "requirements", "--format", "stix", "--out", "out.json")
    _one_line_error(result, 3, "not a valid incident-brief database")
    assert result.stderr.count("\n") == 1
    assert (tmp_path / "brief.db").read_bytes() == b"\x00garbage" * 512
    assert not (tmp_path / "out.json").exists()


def test_cli_missing_database_exits_3(run):
    _one_line_error(run("--db", "missing.db", "export", "requirements"), 3, "no such database")


def test_cli_malformed_records_exit_1_after_exporting_the_rest(run, tmp_path):
    with Store(tmp_path / "brief.db") as store:
        _add(store, _rheinpost(), _analysis([_log_requirement(statement=""), _mfa_requirement()]))
    result = run("export", "requirements", "--format", "csv")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 2  # header and the good requirement
    assert "skipped 1 malformed requirement records (first: article 1: requirement r1: no statement)" in (
        result.stderr
    )


def test_write_csv_of_no_rows_is_the_header():
    stream = io.StringIO(newline="")
    assert write_csv([], stream) == 0
    assert stream.getvalue() == ",".join(CSV_COLUMNS) + "\r\n"


def test_bundle_of_no_rows_has_a_fixed_id():
    assert requirements_bundle([]).id == stix.deterministic_id("bundle")


def test_export_of_one_incident(corpus, run):
    # Articles 1 and 2 (the Rheinpost report and its copy) form one incident, article 3 another.
    with Store(corpus) as store, store.transaction() as db:
        store.write_memberships(
            db,
            {1: ("inc-aaa111", "cluster"), 2: ("inc-aaa111", "cluster"), 3: ("inc-bbb222", "cluster")},
            {"inc-aaa111": "Amazon und Microsoft", "inc-bbb222": "Regulator: keep cloud logs"},
        )
    only_b = run("--db", corpus, "export", "requirements", "--incident", "inc-bbb222")
    assert only_b.exit_code == 0, only_b.output
    records = [json.loads(line) for line in only_b.stdout.splitlines()]
    assert [r["statement"] for r in records] == [_retention_requirement()["statement"]]
    both = run(
        "--db", corpus, "export", "requirements", "--incident", "inc-aaa111", "--incident", "inc-bbb222"
    )
    assert len(both.stdout.splitlines()) == 3
    _one_line_error(run("--db", corpus, "export", "requirements", "--incident", "inc-nope"), 2, "inc-nope")
