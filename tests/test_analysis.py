"""Entity analysis end to end: the seed article, language routing, and bad input."""

import json
import shutil

import pytest
from click.testing import CliRunner
from demo_mirror import DEMO_SITE

from incident_brief.cli import main
from incident_brief.config import NlpSettings
from incident_brief.errors import ModelError
from incident_brief.models import registry
from incident_brief.nlp.analysis import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(NlpSettings())


@pytest.fixture(scope="module")
def seed(analyzer, shared_module):
    text = (shared_module / "examples" / "seed-article-de.txt").read_text(encoding="utf-8")
    return text, analyzer.analyze(text, published="2024-10-31", id="seed")


@pytest.fixture(scope="module")
def shared_module():
    from conftest import SHARED

    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


def _by_label(result, label):
    return [e for e in result.entities if e.label == label]


def test_seed_people_with_roles_and_employers(seed):
    _, result = seed
    people = {e.canonical: e for e in _by_label(result, "PER")}
    assert {"CJ Moses", "Charlie Bell", "Satya Nadella"} <= set(people)
    assert (people["CJ Moses"].role, people["CJ Moses"].employer) == ("CISO", "Amazon")
    assert people["Charlie Bell"].employer == "Microsoft"  # not Amazon: "ehemaliger Amazon-Manager"
    assert people["Charlie Bell"].role == "head of security"
    assert people["Satya Nadella"].role == "CEO"
    # every mention of Moses is the same person with the same role
    moses = [e for e in _by_label(result, "PER") if e.text == "Moses"]
    assert len(moses) >= 5
    assert all(m.canonical == "CJ Moses" and m.role == "CISO" for m in moses)


def test_seed_organisations_and_products_kept_apart(seed):
    _, result = seed
    organisations = {e.canonical for e in _by_label(result, "ORG")}
    products = {e.text for e in _by_label(result, "PRODUCT")}
    assert {"Amazon", "Microsoft", "Bloomberg"} <= organisations
    assert {"Microsoft 365", "Microsoft 365 Copilot", "AWS WorkDocs", "WorkMail", "Azure"} <= products
    assert "Microsoft" not in products
    assert "Microsoft 365" not in organisations


def test_seed_threat_actor_resolved_with_aliases(seed):
    _, result = seed
    actors = _by_label(result, "THREAT_ACTOR")
    assert [a.text for a in actors] == ["Midnight Blizzard"]
    assert actors[0].kb_id == "G0016"
    (actor,) = [a for a in result.actors if a["kb_id"] == "G0016"]
    aliases = {(a["name"], a["source"]) for a in actor["aliases"]}
    assert {"APT29", "NOBELIUM", "Cozy Bear"} <= {name for name, _ in aliases}
    assert ("Midnight Blizzard", "microsoft") in aliases


def test_offsets_point_into_the_text(seed):
    text, result = seed
    assert result.language == "de"
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text


def test_mixed_language_text_is_routed_per_paragraph(analyzer):
    german = (
        "Der Energieversorger Nordwind Energie aus Hamburg hat einen Angriff der Gruppe Midnight Blizzard "
        "gemeldet. Vorstandschef Henrik Larsen sagte, die Angreifer hätten über ein Testkonto ohne "
        "Zwei-Faktor-Authentifizierung Zugriff auf E-Mail-Postfächer des Vorstands erhalten.\n"
    )
    english = (
        "In a statement, Microsoft said its threat intelligence team had seen the same password spray "
        "technique against several European energy companies and urged customers to enable multifactor "
        "authentication on every account, including test accounts.\n"
    )
    text = german + english
    result = analyzer.analyze(text)
    assert [(s.language, s.start, s.end) for s in result.segments] == [
        ("de", 0, len(german)),
        ("en", len(german), len(text)),
    ]
    microsoft = [e for e in result.entities if e.text == "Microsoft"]
    assert microsoft and microsoft[0].start >= len(german) and microsoft[0].label == "ORG"


def test_language_without_model_gets_patterns_and_says_so(analyzer):
    text = (
        "L'ANSSI appelle les clients à installer la version 7.3.2 et signale la vulnérabilité "
        "CVE-2026-41207, exploitée par Volt Typhoon depuis la mi-octobre selon l'éditeur."
    )
    result = analyzer.analyze(text)
    assert result.language == "fr"
    assert any("no NER model for 'fr'" in note for note in result.notes)
    found = {(e.text, e.label, e.kb_id) for e in result.entities}
    assert ("CVE-2026-41207", "VULNERABILITY", "CVE-2026-41207") in found
    assert ("Volt Typhoon", "THREAT_ACTOR", "G1017") in found


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\x00\x01\x02\ufffd\ufffd" * 50, "1234 5678 !!! ???"])
def test_empty_and_garbage_texts(analyzer, text):
    result = analyzer.analyze(text)
    assert result.entities == [] or all(text[e.start : e.end] == e.text for e in result.entities)


def test_one_megabyte_text(analyzer):
    paragraph = (
        "CJ Moses, Chief Information Security Officer von Amazon, sprach mit Bloomberg über Microsoft 365.\n"
    )
    text = paragraph * (1_000_000 // len(paragraph) + 1)
    result = analyzer.analyze(text, language="de")
    assert len(text) > 1_000_000
    assert sum(1 for e in result.entities if e.text == "Bloomberg") > 9000
    assert all(text[e.start : e.end] == e.text for e in result.entities[-50:])


def test_missing_shipped_model_names_the_file_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.SHIPPED, "incident-brief-de", tmp_path / "de")
    with pytest.raises(ModelError, match=r"missing at .*de; reinstall: pip install --force-reinstall"):
        Analyzer(NlpSettings()).analyze("Moses sagte etwas.", language="de")


def test_corrupt_shipped_model_is_a_clear_error(tmp_path, monkeypatch):
    copy = tmp_path / "de"
    shutil.copytree(registry.SHIPPED["incident-brief-de"], copy)
    weights = next(p for p in sorted(copy.rglob("model")) if p.is_file())
    weights.write_bytes(b"\x00 not a model \x00" * 10)
    monkeypatch.setitem(registry.SHIPPED, "incident-brief-de", copy)
    with pytest.raises(ModelError, match="cannot be loaded.*reinstall"):
        Analyzer(NlpSettings()).analyze("Moses sagte etwas.", language="de")


def _run(tmp_path, *args, input=None):
    return CliRunner().invoke(
        main, ["--db", str(tmp_path / "brief.db"), *map(str, args)], input=input, catch_exceptions=False
    )


def test_cli_model_not_installed_exits_4_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brief.toml").write_text('[nlp]\nde_model = "de_core_news_lg"\n')
    result = _run(tmp_path, "analyze", "--text", "-", "--lang", "de", input="Moses sagte etwas.")
    assert result.exit_code == 4
    assert result.stderr.strip() == (
        "brief: spaCy model de_core_news_lg is not installed; install it with: "
        "python -m spacy download de_core_news_lg"
    )


def test_cli_analyze_text_and_jsonl(tmp_path):
    text_file = tmp_path / "a.txt"
    text_file.write_text(
        "CJ Moses, CISO von Amazon, sagte gegenüber Bloomberg, Microsoft habe nicht geantwortet."
    )
    result = _run(
        tmp_path, "analyze", "--text", text_file, "--lang", "de", "--published", "2024-10-31", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"id", "language", "entities", "actors"} <= set(data)
    assert data["language"] == "de"
    assert {"CJ Moses", "Bloomberg", "Microsoft"} <= {e["text"] for e in data["entities"]}
    records = tmp_path / "in.jsonl"
    records.write_text(
        json.dumps({"id": "x1", "text": "Volt Typhoon exploited CVE-2026-41207.", "lang": "en"})
        + "\nnot json\n"
        + json.dumps({"id": 7, "text": "Akira griff die RNK-IT an."})
        + "\n"
    )
    result = _run(tmp_path, "analyze", "--jsonl", records)
    assert result.exit_code == 1
    assert "line 2" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["x1", "7"]
    assert not (tmp_path / "brief.db").exists()


def test_cli_analyze_store_is_incremental(tmp_path):
    rheinpost = DEMO_SITE / "www.rheinpost.example"
    pages = len(list(rheinpost.rglob("*.html")))
    runner_env = {"BRIEF_COLLECT_WORKERS": "1"}
    collected = CliRunner(env=runner_env).invoke(
        main, ["--db", str(tmp_path / "brief.db"), "collect", "--path", str(rheinpost)]
    )
    assert collected.exit_code == 0
    first = json.loads(_run(tmp_path, "analyze", "--json").stdout)
    assert (first["analyzed"], first["up_to_date"]) == (pages, 0)
    second = json.loads(_run(tmp_path, "analyze", "--json").stdout)
    assert (second["analyzed"], second["up_to_date"]) == (0, pages)
    again = json.loads(_run(tmp_path, "analyze", "--all", "--json").stdout)
    assert again["analyzed"] == pages


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "ランサムウェア攻撃により、病院のシステムが停止しました。CVE-2024-3400 が悪用されたと発表した。",
            "ja",
        ),
        (
            "Кибератака на больницу: злоумышленники использовали уязвимость CVE-2024-3400 "
            "в межсетевых экранах.",
            "ru",
        ),
    ],
)
def test_languages_without_a_spacy_tokenizer_package(analyzer, text, language):
    result = analyzer.analyze(text)
    assert result.language == language
    assert ("CVE-2024-3400", "VULNERABILITY") in {(e.text, e.label) for e in result.entities}
