"""The actor/software/product catalog: shipped records, alias resolution, the refresh path and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from incident_brief.cli import main as cli_main
from incident_brief.models.catalogs import (
    SHIPPED_DIR,
    CatalogError,
    build_catalog,
    load_catalog,
    match_mode,
    normalise_name,
    write_catalog,
)

FIXTURES = Path(__file__).parent / "fixtures" / "catalogs"
COMMON = frozenset("cozy bear midnight blizzard deep panda cobalt strike net shell crew".split())


@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


@pytest.fixture()
def mini(tmp_path):
    catalog = build_catalog(
        FIXTURES / "attack-mini.json",
        FIXTURES / "microsoft-mini.json",
        products_path=FIXTURES / "products-mini.json",
        organisations_path=FIXTURES / "organisations-mini.json",
        common_words=COMMON,
    )
    write_catalog(catalog, tmp_path)
    return catalog, tmp_path


# ---------------------------------------------------------------- shipped catalog


@pytest.mark.parametrize("name", ["Midnight Blizzard", "NOBELIUM", "Cozy Bear", "APT 29", "APT-29", "apt29"])
def test_apt29_names_resolve_to_g0016(shipped, name):
    found = shipped.resolve_actor(name)
    assert found is not None and found.record.id == "G0016" and found.record.name == "APT29"
    assert found.alternatives == []


def test_apt29_keeps_aliases_from_both_sources(shipped):
    record = shipped.resolve_actor("Midnight Blizzard").record
    sources = {(a.name, a.source) for a in record.aliases}
    assert {("Midnight Blizzard", "attack"), ("Midnight Blizzard", "microsoft")} <= sources
    assert {("NOBELIUM", "attack"), ("COZY BEAR", "microsoft"), ("UNC2452", "microsoft")} <= sources
    microsoft_name = next(
        a for a in record.aliases if a.name == "Midnight Blizzard" and a.source == "microsoft"
    )
    assert microsoft_name.introduced == "2023-04-18"  # Microsoft's row lists the element name NOBELIUM
    assert record.origin == "Russia"


def test_volt_typhoon_and_lazarus(shipped):
    assert shipped.resolve_actor("Volt Typhoon").record.id == "G1017"
    for name in ("Lazarus Group", "Diamond Sleet", "HIDDEN COBRA", "Hidden Cobra", "ZINC"):
        assert shipped.resolve_actor(name).record.id == "G0032", name


def test_lockbit_is_software_not_an_actor(shipped):
    # ATT&CK has LockBit 2.0 (S1199) and LockBit 3.0 (S1202) as malware and no LockBit group.
    assert shipped.resolve_actor("LockBit 3.0") is None
    found = shipped.resolve_software("LockBit 3.0")
    assert (found.record.id, found.record.kind) == ("S1202", "malware")
    assert shipped.resolve_software("lockbit 2.0").record.id == "S1199"


def test_ambiguous_names_keep_alternatives(shipped):
    # Microsoft's Checkered Typhoon names DEEP PANDA (G0009) and APT19 (G0073): a record of its own.
    checkered = shipped.resolve_actor("Checkered Typhoon").record
    assert checkered.id == "MSTIC:checkered-typhoon" and checkered.kind == "microsoft"
    assert {(k.source, k.id) for k in checkered.links} == {("microsoft", "G0009"), ("microsoft", "G0073")}
    found = shipped.resolve_actor("APT19")
    assert found.record.id == "G0073"
    assert [a.id for a in found.alternatives] == ["MSTIC:checkered-typhoon"]
    # LABYRINTH CHOLLIMA: ATT&CK's Lazarus alias, and Microsoft lists it for several North Korean actors.
    chollima = shipped.resolve_actor("LABYRINTH CHOLLIMA")
    assert chollima.record.id == "G0032"
    assert {"G1049", "G1036"} <= {a.id for a in chollima.alternatives}


def test_microsoft_only_actor_gets_designation_id(shipped):
    found = shipped.resolve_actor("Storm-0558")
    assert found.record.id == "MSTIC:storm-0558" and found.record.name == "Antique Typhoon"
    assert shipped.resolve_actor("storm 0558").record.id == "MSTIC:storm-0558"


def test_no_over_merging(shipped):
    for name in ("Bear", "Storm", "Typhoon", "Blizzard", "Microsoft", ""):
        assert shipped.resolve_actor(name) is None, name
    assert shipped.resolve_software("Mimikatz").record.id == "S0002"
    assert shipped.resolve_product("WorkMail").record.name == "Amazon WorkMail"
    assert shipped.resolve_product("Microsoft") is None


def test_shipped_files_are_compact_and_credit_sources():
    folder = SHIPPED_DIR
    for name in ("actors.json", "software.json", "products.json", "organisations.json"):
        assert (folder / name).stat().st_size < 300_000
    notice = (folder / "NOTICE.md").read_text(encoding="utf-8")
    assert "The MITRE Corporation" in notice and "CC BY 4.0" in notice
    assert (folder / "LICENSE-attack.txt").exists()
    products = json.loads((folder / "products.json").read_text(encoding="utf-8"))["products"]
    assert len(products) >= 150
    assert "organisations.json" in notice


def test_shipped_organisations(shipped):
    assert 150 <= len(shipped.organisations) <= 250
    assert {o.kind for o in shipped.organisations} == {"news", "authority", "company", "research"}
    bloomberg = shipped.resolve_organisation("Bloomberg").record
    assert (bloomberg.name, bloomberg.kind, bloomberg.country) == ("Bloomberg", "news", "US")
    bsi = "Bundesamt für Sicherheit in der Informationstechnik"
    for name in (bsi, "BSI", "Federal Office for Information Security"):
        assert shipped.resolve_organisation(name).record.name == bsi, name
    assert shipped.resolve_organisation("AFP").record.name == "Agence France-Presse"
    assert shipped.resolve_organisation("dpa").record.name == "Deutsche Presse-Agentur"
    assert shipped.resolve_organisation("Microsoft 365") is None


def test_organisations_match_only_as_written_and_skip_dictionary_words(shipped):
    modes = {a.name: a.match for o in shipped.organisations for a in o.aliases}
    assert set(modes.values()) == {"cased", "skip"}
    for name in ("Amazon", "Apple", "Google", "Oracle", "Orange", "Siemens", "Cisco", "Spiegel", "AP"):
        assert modes[name] == "skip", name  # still resolvable
    for name in ("Bloomberg", "Microsoft", "BSI", "FBI", "BfV", "dpa", "Europol", "Nato", "Meta", "Sophos"):
        assert modes[name] == "cased", name
    assert shipped.resolve_organisation("Amazon").record.name == "Amazon"


def test_a_name_has_one_owner(shipped):
    organisation_names = {normalise_name(a.name) for o in shipped.organisations for a in [o, *o.aliases]}
    product_names = {normalise_name(a.name) for p in shipped.products for a in [p, *p.aliases]}
    assert organisation_names & product_names == set()
    assert shipped.resolve_product("AWS").record.name == "Amazon Web Services"
    assert shipped.resolve_organisation("AWS") is None
    assert shipped.resolve_organisation("Okta").record.kind == "company"
    assert shipped.resolve_product("Okta") is None


# ---------------------------------------------------------------- building from fixtures


def test_build_joins_microsoft_rows_to_attack_groups(mini):
    catalog, folder = mini
    actors = {a["id"]: a for a in catalog["actors"]}
    assert set(actors) == {
        "G0016",
        "G0009",
        "G0073",
        "C0024",
        "MSTIC:checkered-typhoon",
        "MSTIC:storm-0558",
        "MSTIC:neva-flood",
        "MSTIC:storm-1516",
        "MSTIC:blue-tsunami",
    }
    apt29 = actors["G0016"]
    assert [(a["name"], a["source"]) for a in apt29["aliases"]] == [
        ("APT29", "attack"),
        ("NOBELIUM", "attack"),
        ("Cozy Bear", "attack"),
        ("Midnight Blizzard", "attack"),
        ("Midnight Blizzard", "microsoft"),
        ("NOBELIUM", "microsoft"),
        ("COZY BEAR", "microsoft"),
        ("UNC2452", "microsoft"),
        ("APT29", "microsoft"),
    ]
    assert apt29["aliases"][4]["introduced"] == "2023-04-18"
    assert apt29["links"] == [
        {"source": "microsoft", "id": "MSTIC:midnight-blizzard", "name": "Midnight Blizzard"}
    ]
    assert apt29["origin"] == "Russia"
    assert apt29["description"] == "APT29 is a threat group."


def test_build_keeps_tied_row_apart_with_links(mini):
    catalog, _ = mini
    checkered = next(a for a in catalog["actors"] if a["name"] == "Checkered Typhoon")
    assert checkered["id"] == "MSTIC:checkered-typhoon" and checkered["kind"] == "microsoft"
    assert checkered["links"] == [
        {"source": "microsoft", "id": "G0009", "name": "Deep Panda"},
        {"source": "microsoft", "id": "G0073", "name": "APT19"},
    ]
    assert checkered["aliases"][0]["introduced"] == "2023-04-18"  # CHLORINE: an element name


def test_build_ids_and_dates_for_microsoft_only_rows(mini):
    catalog, _ = mini
    by_name = {a["name"]: a for a in catalog["actors"]}
    antique = by_name["Antique Typhoon"]
    assert antique["id"] == "MSTIC:storm-0558"
    assert antique["aliases"][0].get("introduced") is None  # a Storm- actor: no date in the data
    assert by_name["Storm-1516"]["id"] == "MSTIC:storm-1516"
    assert by_name["Neva Flood"]["id"] == "MSTIC:neva-flood"  # its Storm-1516 belongs to the other row


def test_build_software_and_match_modes(mini):
    catalog, _ = mini
    software = {s["name"]: s for s in catalog["software"]}
    assert software["Mimikatz"]["kind"] == "tool" and software["Cobalt Strike"]["kind"] == "malware"
    assert match_mode("Net", COMMON) == "skip"
    assert match_mode("Cobalt Strike", COMMON) == "cased"
    assert match_mode("Cozy Bear", COMMON) == "cased"
    assert match_mode("APT29", COMMON) == "any"
    assert match_mode("Mimikatz", COMMON) == "any"
    assert match_mode("Snake", frozenset({"snake"})) == "skip"
    assert match_mode("ZINC", frozenset({"zinc"})) == "cased"


def test_written_catalog_loads_and_resolves(mini):
    _, folder = mini
    catalog = load_catalog(folder)
    assert catalog.resolve_actor("cozy bear").record.id == "G0016"
    found = catalog.resolve_actor("DEEP PANDA")
    assert found.record.id == "G0009"
    assert [a.id for a in found.alternatives] == ["MSTIC:checkered-typhoon"]
    assert catalog.resolve_actor("CopyCop").record.id == "MSTIC:neva-flood"
    assert catalog.resolve_software("NET.EXE").record.id == "S0039"
    assert (
        catalog.resolve_organisation("BSI").record.name
        == "Bundesamt für Sicherheit in der Informationstechnik"
    )
    assert [o.name for o in catalog.organisations] == [
        "Bloomberg",
        "Dell Technologies",
        "Siemens",
        "Bundesamt für Sicherheit in der Informationstechnik",
    ]
    assert (folder / "NOTICE.md").exists()


def test_refresh_keeps_other_recipes_notices(tmp_path):
    # The controls recipe writes NOTICE-controls.md into the same folder; a refresh must not lose it.
    controls_notice = tmp_path / "NOTICE-controls.md"
    controls_notice.write_text(
        "# Control catalog sources\n\nNIST SP 800-53, public domain.\n", encoding="utf-8"
    )
    (tmp_path / "NOTICE.md").write_text("an older notice\n", encoding="utf-8")
    catalog = build_catalog(
        FIXTURES / "attack-mini.json",
        FIXTURES / "microsoft-mini.json",
        products_path=FIXTURES / "products-mini.json",
        organisations_path=FIXTURES / "organisations-mini.json",
        common_words=COMMON,
    )
    write_catalog(catalog, tmp_path)
    write_catalog(catalog, tmp_path)  # a second refresh changes nothing either
    assert controls_notice.read_text(encoding="utf-8") == (
        "# Control catalog sources\n\nNIST SP 800-53, public domain.\n"
    )
    notice = (tmp_path / "NOTICE.md").read_text(encoding="utf-8")
    assert "an older notice" not in notice and "The MITRE Corporation" in notice
    assert "NOTICE-controls.md" in notice


def test_shipped_control_catalogs_have_their_own_notice():
    notice = (SHIPPED_DIR / "NOTICE-controls.md").read_text(encoding="utf-8")
    assert "nist80053-rev5.json" in notice and "public domain" in notice
    assert "attack-mitigations.json" in notice and "The MITRE Corporation" in notice
    assert "NOTICE-controls.md" in (SHIPPED_DIR / "NOTICE.md").read_text(encoding="utf-8")


def test_build_carries_the_shipped_organisations_by_default(tmp_path):
    catalog = build_catalog(
        FIXTURES / "attack-mini.json", FIXTURES / "microsoft-mini.json", common_words=COMMON
    )
    write_catalog(catalog, tmp_path)
    assert len(load_catalog(tmp_path).organisations) == len(load_catalog().organisations)


def test_refresh_command_writes_folder_used_by_analyze(tmp_path, monkeypatch):
    monkeypatch.setattr("incident_brief.models.catalogs.english_common_words", lambda: COMMON)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli_main,
        [
            "catalogs", "refresh",
            "--attack", str(FIXTURES / "attack-mini.json"),
            "--microsoft", str(FIXTURES / "microsoft-mini.json"),
            "--products", str(FIXTURES / "products-mini.json"),
            "--out", "refreshed",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "9 actors" in result.stdout and 'catalog_dir = "refreshed"' in result.stdout
    assert (
        load_catalog(tmp_path / "refreshed").resolve_actor("Antique Typhoon").record.id == "MSTIC:storm-0558"
    )
    (tmp_path / "brief.toml").write_text('[nlp]\ncatalog_dir = "refreshed"\n')
    analysed = CliRunner().invoke(
        cli_main,
        ["analyze", "--text", "-", "--lang", "en"],
        input="Antique Typhoon stole mail.",
        catch_exceptions=False,
    )
    actors = [e for e in json.loads(analysed.stdout)["entities"] if e["label"] == "THREAT_ACTOR"]
    assert [(a["text"], a["kb_id"]) for a in actors] == [("Antique Typhoon", "MSTIC:storm-0558")]


# ---------------------------------------------------------------- bad files


def test_missing_catalog_file_names_it(mini):
    _, folder = mini
    (folder / "software.json").unlink()
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    message = str(caught.value)
    assert "software.json" in message and "missing" in message and "\n" not in message


def test_corrupt_catalog_file_names_it(mini):
    _, folder = mini
    (folder / "actors.json").write_text('{"actors": [', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert "actors.json" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_missing_or_corrupt_organisations_file_names_it(mini, damage):
    _, folder = mini
    path = folder / "organisations.json"
    if damage == "delete":
        path.unlink()
    else:
        path.write_text('{"organisations": [{"name": "Bloomb', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    message = str(caught.value)
    assert "organisations.json" in message and "\n" not in message
    assert ("missing" if damage == "delete" else "unreadable") in message


def test_malformed_organisation_record_names_file(mini):
    _, folder = mini
    (folder / "organisations.json").write_text('{"organisations": [{"name": "X", "aliases": []}]}')
    with pytest.raises(CatalogError, match=r"organisations\.json.*'kind'"):
        load_catalog(folder)
    bad = folder / "organisations-bad.json"
    bad.write_text('{"companies": []}', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"organisations-bad\.json: missing 'organisations'"):
        build_catalog(
            FIXTURES / "attack-mini.json", FIXTURES / "microsoft-mini.json", organisations_path=bad,
            common_words=COMMON,
        )  # fmt: skip


def test_malformed_record_names_file(mini):
    _, folder = mini
    (folder / "products.json").write_text('{"products": [{"vendor": "X"}]}', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"products\.json.*'name'"):
        load_catalog(folder)


def test_bad_source_files_give_clear_errors(tmp_path):
    broken = tmp_path / "attack.json"
    broken.write_text('{"types": {}}', encoding="utf-8")
    with pytest.raises(CatalogError, match="attack.json"):
        build_catalog(broken, FIXTURES / "microsoft-mini.json", common_words=COMMON)
    rows = tmp_path / "ms.json"
    rows.write_text('[{"Origin/Threat": "x"}]', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"ms\.json: row 1"):
        build_catalog(FIXTURES / "attack-mini.json", rows, common_words=COMMON)
