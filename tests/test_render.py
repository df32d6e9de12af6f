"""Briefs in Markdown, HTML, JSON and STIX: hostile text inert in every format, empty sections omitted,
the published JSON Schema and the STIX validator satisfied, writes atomic."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from brief_fixtures import build_corpus
from markdown_it import MarkdownIt
from rich.console import Console
from stix2validator import ValidationOptions, validate_string

from incident_brief.briefs import render_html, render_json, render_markdown, render_stix, render_terminal
from incident_brief.briefs.build import BriefBuilder, IncidentInput
from incident_brief.briefs.files import write_file_atomically
from incident_brief.briefs.generate import write_briefs
from incident_brief.briefs.model import (
    ActorFact,
    Alias,
    Brief,
    Confidence,
    Control,
    Evidence,
    KeyFacts,
    Party,
    Person,
    QuoteGroup,
    QuoteReport,
    RequirementEntry,
    Review,
    Source,
    SummarySentence,
    TimelineEntry,
)
from incident_brief.briefs.vectors import SentenceIndex
from incident_brief.corpus.store import Store
from incident_brief.errors import UsageError
from incident_brief.nlp.embeddings import UseEmbedder

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "brief.schema.json").read_text(encoding="utf-8"))
RENDERERS = {
    "md": render_markdown.render,
    "html": render_html.render,
    "json": render_json.render,
    "stix": render_stix.render,
}
BIDI_AND_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\x00-\x08\x0b-\x1f\x7f]")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("render") / "brief.db")


@pytest.fixture(scope="module")
def briefs(corpus):
    with Store(corpus.path) as store:
        builder = BriefBuilder(store, SentenceIndex(store, UseEmbedder()), language="en")
        built = {
            key: builder.build(IncidentInput(key, ids), "2026-05-03T12:00:00+00:00")
            for key, ids in corpus.incidents.items()
        }
    return {**built, "crafted": crafted_hostile_brief()}


def crafted_hostile_brief() -> Brief:
    """Hostile strings in every field a brief shows, past what the analysis happens to extract."""
    bad = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> **b** &lt;"
    evidence = Evidence(1, 0, 10, "en")
    return Brief(
        incident_id="inc<1>",
        headline="# Kestrel " + bad,
        language="en",
        generated_at="2026-05-03T12:00:00+00:00",
        method="extractive",
        summary=[SummarySentence("- " + bad, "de", [evidence])],
        key_facts=KeyFacts(),
        timeline=[TimelineEntry("2026-05-01", "day", None, bad, bad, [evidence], "2026-05-02")],
        quotes=[
            QuoteGroup(
                Person(bad, bad, None),
                bad,
                "en",
                "direct",
                bad,
                [QuoteReport(bad, "en", "direct", bad, evidence, "q1")],
            )
        ],
        requirements=[
            RequirementEntry(
                bad,
                bad,
                Party(bad, None),
                Party(bad, None),
                "must",
                "positive",
                "en",
                0.9,
                [Control("AC-17", bad, 0.9)],
                [Control("M1032", bad, 0.8)],
                [evidence],
            )
        ],  # fmt: skip
        sources=[Source(1, bad, "en", "2026-05-02", "javascript:alert(4)", bad, None, True)],
        confidence=Confidence("low", 0.3, 1, 1, ["en"], 0.0, [], [bad]),
        review=Review("approved", bad, "2026-05-03T12:30:00+00:00"),  # the reviewer's name is typed in
    )


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def parsed(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "p", "a", "h1", "h2", "h3", "ol", "ul", "li",
    "span", "strong", "dl", "dt", "dd", "div", "table", "thead", "tbody", "tr", "th", "td", "blockquote",
    "details", "summary",
}  # fmt: skip


@pytest.mark.parametrize("name", ["hostile", "crafted"])
def test_hostile_text_is_inert_in_html(briefs, name):
    page = parsed(render_html.render(briefs[name]))
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "a":
            assert re.match(r"https?://|index\.html$", attrs["href"]), attrs
        assert "src" not in attrs
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    digest = base64.b64encode(hashlib.sha256(page.style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp  # the inline style is the only thing allowed, by its hash
    assert not BIDI_AND_CONTROLS.search(render_html.render(briefs[name]))


@pytest.mark.parametrize("name", ["hostile", "crafted"])
def test_hostile_text_is_inert_in_markdown(briefs, name):
    text = render_markdown.render(briefs[name])
    assert not BIDI_AND_CONTROLS.search(text)
    html = MarkdownIt("commonmark").render(text)  # raw HTML is on in CommonMark: escaping must hold
    tags = {tag for tag, _ in parsed(html).tags}
    assert tags <= {
        "h1",
        "h2",
        "h3",
        "p",
        "a",
        "ol",
        "ul",
        "li",
        "em",
        "strong",
        "blockquote",
        "table",
        "code",
    }
    assert "script" not in tags and "img" not in tags
    for tag, attrs in parsed(html).tags:
        if tag == "a":
            assert attrs["href"].startswith("https://"), attrs
    if name == "crafted":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as written, not dropped


def test_hostile_article_keeps_its_words_without_its_controls(corpus, briefs):
    brief = briefs["hostile"]
    shown = json.loads(render_json.render(brief))
    text = json.dumps(shown, ensure_ascii=False)
    assert not BIDI_AND_CONTROLS.search(text)
    assert any("<script>alert('x')</script>" in s["text"] for s in shown["summary"])  # data, verbatim
    assert "<" not in render_json.render(brief)  # escaped as \u003c in the file


@pytest.mark.parametrize("name", ["rheinau", "single", "hostile", "crafted"])
def test_json_follows_the_published_schema(briefs, name):
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = list(validator.iter_errors(json.loads(render_json.render(briefs[name]))))
    assert not errors, [e.message for e in errors]


def test_the_schema_is_a_valid_versioned_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"].endswith(":2") and SCHEMA["properties"]["schema_version"] == {"const": 2}


@pytest.mark.parametrize("name", ["rheinau", "single", "hostile", "crafted"])
def test_stix_is_valid_with_no_errors(briefs, name):
    text = render_stix.render(briefs[name])
    result = validate_string(text, ValidationOptions(strict=False))
    assert result.is_valid, [str(e) for e in result.errors]
    assert not BIDI_AND_CONTROLS.search(text)


def test_stix_holds_report_actors_identities_courses_of_action_and_notes(corpus, briefs):
    objects = json.loads(render_stix.render(briefs["rheinau"]))["objects"]
    by_type: dict[str, list[dict]] = {}
    for item in objects:
        by_type.setdefault(item["type"], []).append(item)
    (report,) = by_type["report"]
    assert report["name"] == briefs["rheinau"].headline
    assert set(report["object_refs"]) == {o["id"] for o in objects if o["type"] != "report"}
    assert any(i["name"] == "Jens Ober" and i["identity_class"] == "individual" for i in by_type["identity"])
    notes = [n["content"] for n in by_type["note"]]
    assert any("never at risk" in n or "Versorgung" in n for n in notes)
    if briefs["rheinau"].requirements:
        assert len(by_type["course-of-action"]) == len(briefs["rheinau"].requirements)
    urls = {r.get("url") for r in report["external_references"]}
    assert "https://gridwatch.example/news/stadtwerke-rheinau-ransomware" in urls


def test_actor_aliases_reach_stix_and_html():
    brief = crafted_hostile_brief()
    brief.key_facts.actors = [
        ActorFact(
            "APT29", "G0016", [Alias("Midnight Blizzard", "microsoft"), Alias("Cozy Bear", "attack")], [1]
        )
    ]
    objects = json.loads(render_stix.render(brief))["objects"]
    (intrusion_set,) = [o for o in objects if o["type"] == "intrusion-set"]
    assert intrusion_set["aliases"] == ["Midnight Blizzard", "Cozy Bear"]
    assert intrusion_set["external_references"][0]["external_id"] == "G0016"
    assert "Midnight Blizzard" in render_html.render(brief)


def test_a_campaign_is_shown_as_a_campaign_not_as_a_threat_actor():
    brief = crafted_hostile_brief()
    brief.key_facts.actors = [
        ActorFact("APT29", "G0016", [Alias("Cozy Bear", "attack")], [1], "group"),
        ActorFact("SolarWinds Compromise", "C0024", [], [1], "campaign"),
    ]
    markdown = render_markdown.render(brief)
    assert "**Threat actor: APT29**" in markdown and "**Campaign: SolarWinds Compromise**" in markdown
    assert "Threat actor: SolarWinds" not in markdown
    terms = re.findall(r"<dt>([^<]*)</dt>", render_html.render(brief))
    assert terms[:2] == ["Threat actor", "Campaign"]
    console = Console(width=200, record=True)
    console.print(render_terminal.render(brief))
    shown = console.export_text()
    assert re.search(r"threat actor +APT29", shown) and re.search(r"campaign +SolarWinds Compromise", shown)

    text = render_stix.render(brief)
    assert validate_string(text, ValidationOptions(strict=False)).is_valid
    objects = json.loads(text)["objects"]
    (campaign,) = [o for o in objects if o["type"] == "campaign"]
    (intrusion_set,) = [o for o in objects if o["type"] == "intrusion-set"]
    assert (campaign["name"], intrusion_set["name"]) == ("SolarWinds Compromise", "APT29")
    assert campaign["external_references"][0] == {
        "source_name": "mitre-attack",
        "external_id": "C0024",
        "url": "https://attack.mitre.org/campaigns/C0024/",
    }
    assert campaign["id"] in json.loads(text)["objects"][0]["object_refs"]

    data = json.loads(render_json.render(brief))
    assert [a["kind"] for a in data["key_facts"]["actors"]] == ["group", "campaign"]
    assert not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))


def test_a_brief_of_schema_version_1_loads_with_its_actors_as_groups():
    brief = crafted_hostile_brief()
    brief.key_facts.actors = [ActorFact("APT29", "G0016", [Alias("Cozy Bear", "attack")], [1])]
    stored = brief.to_dict()
    stored["schema_version"] = 1
    for actor in stored["key_facts"]["actors"]:
        del actor["kind"]  # version 1 had no kind
    loaded = Brief.from_dict(stored)
    assert loaded.schema_version == 2 and loaded.key_facts.actors[0].kind == "group"
    assert "**Threat actor: APT29**" in render_markdown.render(loaded)
    data = json.loads(render_json.render(loaded))
    assert data["$schema"] == "urn:incident-brief:schema:brief:2"
    assert not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))


def test_sections_with_nothing_are_omitted(briefs):
    brief = briefs["single"]
    markdown = render_markdown.render(brief)
    html = render_html.render(brief)
    for section in ("Timeline", "Quotes", "Security requirements", "Changes since"):
        assert f"## {section}" not in markdown
        assert f"<h2>{section}" not in html
    for section in ("Summary", "Sources", "Confidence"):
        assert f"## {section}" in markdown and f"<h2>{section}" in html


def test_provenance_is_on_hover_and_links_to_the_source(corpus, briefs):
    brief = briefs["rheinau"]
    sentence = brief.summary[0]
    (evidence,) = sentence.evidence
    source = brief.source(evidence.article_id)
    links = [a for t, a in parsed(render_html.render(brief)).tags if t == "a" and a.get("class") == "cite"]
    assert any(
        a["href"] == source.url
        and f"article {evidence.article_id}, characters {evidence.start}–{evidence.end}" in a["title"]
        for a in links
    )


def test_an_unwritable_output_directory_is_a_clear_error_and_nothing_is_written(corpus, tmp_path, read_only):
    out = tmp_path / "out"
    out.mkdir()
    with Store(corpus.path) as store:
        before = store.query("SELECT count(*) FROM brief_snapshots")[0][0]
        builder = BriefBuilder(store, SentenceIndex(store, UseEmbedder()))
        with read_only(out), pytest.raises(UsageError, match=r"^cannot write to .*out") as error:
            write_briefs(store, builder, [IncidentInput("single", corpus.incidents["single"])], out)
        after = store.query("SELECT count(*) FROM brief_snapshots")[0][0]
    assert "\n" not in str(error.value)
    assert list(out.iterdir()) == [] and after == before


def test_an_output_path_under_a_file_is_a_clear_error(corpus, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with Store(corpus.path) as store, pytest.raises(UsageError, match="cannot write to"):
        write_briefs(store, BriefBuilder(store, SentenceIndex(store, UseEmbedder())), [], blocker / "out")


def test_writes_replace_files_whole_and_leave_no_temporary_files(tmp_path):
    target = tmp_path / "brief.md"
    target.write_text("old brief")
    write_file_atomically(target, lambda stream: stream.write("new brief"))
    assert target.read_text() == "new brief"
    assert os.listdir(tmp_path) == ["brief.md"]


def test_every_format_and_the_indexes_are_written(corpus, tmp_path):
    with Store(corpus.path) as store:
        builder = BriefBuilder(store, SentenceIndex(store, UseEmbedder()))
        incidents = [IncidentInput(key, ids) for key, ids in corpus.incidents.items()]
        report = write_briefs(store, builder, incidents, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = sorted(
        [f"{key}.{ext}" for key in corpus.incidents for ext in ("md", "html", "json", "stix.json")]
        + ["index.md", "index.html", "index.json"]
    )
    assert names == expected and report.briefs == 3
    index = json.loads((tmp_path / "index.json").read_text())
    assert {row["incident_id"]: row["file"] for row in index}["rheinau"] == "rheinau.json"
    assert 'href="rheinau.html"' in (tmp_path / "index.html").read_text()


def test_times_read_as_a_person_writes_them_in_every_human_format():
    brief = crafted_hostile_brief()
    evidence = brief.timeline[0].evidence
    brief.timeline = [
        TimelineEntry(
            "2026-11-03TAF", "part of day", None, "Tuesday afternoon", "It was patched.", evidence, None
        ),
        TimelineEntry("2026-W41", "week", None, "last week", "It began.", evidence, None),
    ]
    html, markdown = render_html.render(brief), render_markdown.render(brief)
    for shown in ("2026-11-03 afternoon", "2026, week 41"):
        assert shown in html and shown in markdown
    assert "generated 2026-05-03 12:00 UTC" in html  # not the ISO timestamp
    assert (
        json.loads(render_json.render(brief))["timeline"][0]["value"] == "2026-11-03TAF"
    )  # machines: TIMEX3


def test_the_review_verdict_is_shown_in_every_format():
    brief = crafted_hostile_brief()
    brief.review = Review("approved", "ana", "2026-05-03T12:30:00+00:00")
    assert "· review: **approved by ana at 2026-05-03 12:30 UTC**" in render_markdown.render(brief)
    assert "review: approved by ana at 2026-05-03 12:30 UTC" in render_html.render(brief)
    (report,) = [o for o in json.loads(render_stix.render(brief))["objects"] if o["type"] == "report"]
    assert report["labels"] == ["review-status:approved"]
    assert json.loads(render_json.render(brief))["review"]["by"] == "ana"
    console = Console(width=200, record=True)
    console.print(render_terminal.render(brief))
    assert "review: approved by ana" in console.export_text()
    brief.review = Review("new", None, None)
    assert "· review: **not reviewed**" in render_markdown.render(brief)
    brief.review = None  # built without the review state (a brief of schema 2 before the field)
    assert "review:" not in render_markdown.render(brief)
    (report,) = [o for o in json.loads(render_stix.render(brief))["objects"] if o["type"] == "report"]
    assert "labels" not in report
