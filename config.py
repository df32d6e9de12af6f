"""Settings in one place: defaults, then brief.toml, then BRIEF_* variables, then CLI options.

One `Settings` object is built once per command and passed down explicitly; nothing reads globals.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_args

from incident_brief.errors import ConfigError

DEFAULT_CONFIG = Path("brief.toml")
DEFAULT_DB = Path("brief.db")
SOURCE_KINDS = ("feed", "sitemap", "url", "url_file", "path", "jsonl")


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how fast pages are fetched."""

    user_agent: str = "incident-brief/0.1 (news collector; respects robots.txt)"
    concurrency: int = 16  # requests in flight over all hosts
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0  # seconds between requests to one host; robots.txt Crawl-delay wins if longer
    timeout: float = 20.0  # seconds per request
    retries: int = 3  # on timeouts, 429 and 5xx
    backoff: float = 1.0  # first retry waits this long, then doubles
    max_retry_after: float = 300.0  # a longer Retry-After fails the request instead of stalling the run
    max_bytes: int = 10_000_000  # larger responses are refused
    max_redirects: int = 5
    respect_robots: bool = True
    allow_private: bool = False  # fetch private, loopback and link-local addresses


@dataclass(frozen=True)
class DedupSettings:
    """Near-duplicate detection: MinHash over word shingles."""

    near_duplicate_threshold: float = 0.8  # estimated Jaccard similarity of shingle sets
    shingle_size: int = 5
    num_perm: int = 128


@dataclass(frozen=True)
class CollectSettings:
    """How a collect run uses this machine."""

    workers: int = 0  # extraction processes; 0 = one per CPU core, 1 = extract in the main process


@dataclass(frozen=True)
class NlpSettings:
    """Which model analyses which language (names: models/registry.py, docs/configuration.md)."""

    en_model: str = "en_core_web_sm"
    de_model: str = "incident-brief-de"
    other_model: str = "blank"  # languages without a model: gazetteers and patterns only
    batch_size: int = 64
    workers: int = 0  # analysis processes for `brief analyze`; 0 = one per CPU core
    min_segment_chars: int = 200  # shorter paragraphs in another language are not split off
    catalog_dir: str = ""  # actor/software/product catalogs from `brief catalogs refresh`; empty: shipped
    learned_requirements: bool = True  # learned requirement detector and control ranking (slower, better)


@dataclass(frozen=True)
class ClusterSettings:
    """How articles become incidents (docs/configuration.md, nlp/clustering.py)."""

    embedder: str = "use-multilingual"  # or st:<sentence-transformers model name or path>
    weights: str = ""  # a weights.json from benchmarks/clustering_ecb.py --write-weights; empty: shipped
    batch_size: int = 32  # texts per embedding batch
    candidates: int = 5  # nearest incidents scored per article (approximate nearest-neighbour index)
    refine_every: int = 500  # articles between refinement passes (contested neighbourhoods clustered again)


@dataclass(frozen=True)
class SourceConfig:
    """A named source from brief.toml, e.g. `[[sources]] name = "heise" feed = "https://..."`."""

    name: str
    kind: str  # one of SOURCE_KINDS
    location: str
    allow_private: bool = False


@dataclass(frozen=True)
class Settings:
    db: Path = DEFAULT_DB
    fetch: FetchSettings = field(default_factory=FetchSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    collect: CollectSettings = field(default_factory=CollectSettings)
    nlp: NlpSettings = field(default_factory=NlpSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    sources: tuple[SourceConfig, ...] = ()
    config_path: Path | None = None  # the brief.toml these settings came from, if any


_SECTIONS = {
    "fetch": FetchSettings,
    "dedup": DedupSettings,
    "collect": CollectSettings,
    "nlp": NlpSettings,
    "cluster": ClusterSettings,
}


def load_settings(
    config_path: Path | None = None,
    *,
    environ: dict[str, str] | None = None,
    db: Path | None = None,
) -> Settings:
    """Build settings from defaults, a brief.toml (the given one, else ./brief.toml if present),
    BRIEF_* variables and, last, the CLI's `--db`."""
    environ = dict(os.environ if environ is None else environ)
    if config_path is None and "BRIEF_CONFIG" in environ:
        config_path = Path(environ["BRIEF_CONFIG"])
    settings = Settings()
    if config_path is not None:
        if not config_path.is_file():
            raise ConfigError(f"{config_path}: no such configuration file")
        settings = _apply_toml(settings, config_path)
    elif DEFAULT_CONFIG.is_file():
        settings = _apply_toml(settings, DEFAULT_CONFIG)
    settings = _apply_environ(settings, environ)
    if db is not None:
        settings = replace(settings, db=db)
    return settings


def _apply_toml(settings: Settings, path: Path) -> Settings:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{path}, line {_line_of(text, key)}: {message}")

    changes: dict[str, Any] = {"config_path": path}
    for key, value in data.items():
        if key == "db":
            if not isinstance(value, str):
                raise fail(key, "db must be a string path")
            changes["db"] = (path.parent / value) if not Path(value).is_absolute() else Path(value)
        elif key in _SECTIONS:
            if not isinstance(value, dict):
                raise fail(key, f"[{key}] must be a table")
            section = _build_section(_SECTIONS[key], getattr(settings, key), value, fail)
            if key == "nlp" and section.catalog_dir and not Path(section.catalog_dir).is_absolute():
                section = replace(section, catalog_dir=str(path.parent / section.catalog_dir))  # like paths
            if key == "cluster" and section.weights and not Path(section.weights).is_absolute():
                section = replace(section, weights=str(path.parent / section.weights))
            changes[key] = section
        elif key == "sources":
            if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
                raise fail(key, "sources must be an array of tables ([[sources]])")
            changes["sources"] = tuple(_build_source(s, path.parent, fail) for s in value)
        else:
            known = "db, fetch, dedup, collect, nlp, cluster, sources"
            raise fail(key, f"unknown setting {key!r} (known: {known})")
    return replace(settings, **changes)


def _build_section(cls: type, current: Any, values: dict[str, Any], fail) -> Any:
    known = {f.name: f for f in fields(cls)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise fail(key, f"unknown setting {key!r} in this section (known: {', '.join(known)})")
        changes[key] = _coerce(value, known[key], fail_message=lambda m, k=key: fail(k, m))
    return replace(current, **changes)


def _build_source(table: dict[str, Any], base: Path, fail) -> SourceConfig:
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise fail("sources", "every [[sources]] entry needs a name")
    kinds = [k for k in SOURCE_KINDS if k in table]
    if len(kinds) != 1:
        raise fail(
            name, f"source {name!r} needs exactly one of {', '.join(SOURCE_KINDS)} (found {len(kinds)})"
        )
    unknown = set(table) - {"name", "allow_private", *SOURCE_KINDS}
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown key {sorted(unknown)[0]!r} in source {name!r}")
    kind = kinds[0]
    location = table[kind]
    if not isinstance(location, str):
        raise fail(kind, f"source {name!r}: {kind} must be a string")
    if kind in ("path", "url_file", "jsonl") and not Path(location).is_absolute():
        location = str(base / location)  # relative to brief.toml, so it works from any directory
    allow_private = table.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise fail("allow_private", f"source {name!r}: allow_private must be true or false")
    return SourceConfig(name=name, kind=kind, location=location, allow_private=allow_private)


def _apply_environ(settings: Settings, environ: dict[str, str]) -> Settings:
    """BRIEF_DB and BRIEF_<SECTION>_<KEY>, e.g. BRIEF_FETCH_USER_AGENT or BRIEF_FETCH_PER_HOST_DELAY."""
    if environ.get("BRIEF_DB"):
        settings = replace(settings, db=Path(environ["BRIEF_DB"]))
    for section, cls in _SECTIONS.items():
        changes = {}
        for f in fields(cls):
            variable = f"BRIEF_{section}_{f.name}".upper()
            if variable in environ:

                def fail(message: str, variable: str = variable) -> ConfigError:
                    return ConfigError(f"environment variable {variable}: {message}")

                changes[f.name] = _coerce(environ[variable], f, fail_message=fail, from_text=True)
        if changes:
            settings = replace(settings, **{section: replace(getattr(settings, section), **changes)})
    return settings


def _coerce(value: Any, f: dataclasses.Field, *, fail_message, from_text: bool = False) -> Any:
    kind = (
        f.type
        if isinstance(f.type, type)
        else {"str": str, "int": int, "float": float, "bool": bool}.get(
            str(f.type), get_args(f.type)[0] if get_args(f.type) else str
        )
    )
    if from_text:
        try:
            if kind is bool:
                lowered = value.strip().lower()
                if lowered not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                return lowered in ("1", "true", "yes")
            return kind(value)
        except ValueError:
            raise fail_message(f"expected {kind.__name__}, got {value!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise fail_message(f"{f.name} must be {kind.__name__}, got {value!r}")
    if kind in (int, float) and value < 0:
        raise fail_message(f"{f.name} must not be negative")
    return value


def _line_of(text: str, key: str) -> int:
    """The first line that sets `key` (or names it), so errors point into the file."""
    pattern = re.compile(rf"^\s*(\[+\s*)?[\"']?{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line) or re.search(rf"=\s*[\"']{re.escape(key)}[\"']", line):
            return number
    return 1


CONFIG_TEMPLATE = """\
# incident-brief configuration. Every setting here can also be given as a BRIEF_* variable
# (BRIEF_DB, BRIEF_FETCH_USER_AGENT, BRIEF_FETCH_PER_HOST_DELAY, ...); CLI options win over both.
# Reference: docs/cli.md and docs/configuration.md.

db = "brief.db"

[fetch]
user_agent = "incident-brief/0.1 (news collector; respects robots.txt)"
concurrency = 16
per_host_concurrency = 2
per_host_delay = 1.0
timeout = 20.0
retries = 3
max_bytes = 10000000
max_redirects = 5
respect_robots = true

[dedup]
near_duplicate_threshold = 0.8

[collect]
workers = 0  # extraction processes; 0 = one per CPU core

[nlp]
# Model names: incident-brief-de (shipped), a spaCy package (en_core_web_sm, de_core_news_lg),
# hf:<Hugging Face id or path> (transformers token classification), or blank.
en_model = "en_core_web_sm"
de_model = "incident-brief-de"
other_model = "blank"

[cluster]
# use-multilingual (shipped, offline, cross-lingual) or st:<sentence-transformers model name or path>.
# Changing it re-embeds the stored articles on the next `brief cluster`.
embedder = "use-multilingual"
candidates = 5

# One [[sources]] table per source, each with a name and exactly one of:
# feed, sitemap, url, url_file, path, jsonl. Relative paths are relative to this file.
# [[sources]]
# name = "example-security-news"
# feed = "https://news.example.org/security/feed.xml"
#
# [[sources]]
# name = "local-archive"
# path = "archive/"
"""
