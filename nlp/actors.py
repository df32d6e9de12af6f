"""`incident_actor_linker`: links threat-actor and software mentions to the catalog; `actors_in` lists them.

- THREAT_ACTOR spans get the catalog record's name as `canonical` and its id as `kb_id` (ATT&CK G#### or
  C####, or "MSTIC:..." for actors only Microsoft names). An actor the catalog does not know (a new
  "Storm-2890") keeps its text, dashes and spaces normalised, as canonical and no kb_id.
- MALWARE and TOOL spans get the ATT&CK software name and id (S####).
- NER spans labelled ORG, MISC or PER whose whole text is a known actor alias are relabelled THREAT_ACTOR
  (models tag "Midnight Blizzard" or "Lazarus" as ORG). The alias must match as written where the catalog
  says so (case-sensitive aliases, and those never matched in running text: "Lazarus", "Snake"), and names
  of three characters without a digit ("UPS") never relabel.
An ambiguous name links to the best-supported record (see models.catalogs); the others are in the catalog.
The linker also keeps each linked actor's aliases and kind in `doc.user_data`, so `actors_in(doc)` needs no
catalog.
"""

from __future__ import annotations

import re
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.models.catalogs import DASHES, Actor, Catalog, load_catalog, normalise_name
from incident_brief.nlp.extensions import register_extensions

ACTOR_ALIASES_KEY = "incident_brief.actor_aliases"  # doc.user_data: kb_id -> [{name, source}]
ACTOR_KINDS_KEY = "incident_brief.actor_kinds"  # doc.user_data: kb_id -> the catalog's kind
UNLINKED_KIND = "group"  # an actor the catalog does not know is taken for a group ("Storm-2890")
RELABELLED = frozenset({"ORG", "MISC", "PER"})


@Language.factory("incident_actor_linker", default_config={"catalog": None})
def make_actor_linker(nlp: Language, name: str, catalog: str | None) -> ActorLinker:
    register_extensions()
    return ActorLinker(load_catalog(Path(catalog) if catalog else None))


class ActorLinker:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        aliases: dict[str, list[dict]] = doc.user_data.setdefault(ACTOR_ALIASES_KEY, {})
        kinds: dict[str, str] = doc.user_data.setdefault(ACTOR_KINDS_KEY, {})
        for ent in doc.ents:
            label, source = ent.label_, ent._.entity_source
            canonical, kb_id = ent._.canonical, ent._.kb_id
            if label == "THREAT_ACTOR" or (label in RELABELLED and self._is_actor_alias(ent.text)):
                if label != "THREAT_ACTOR":
                    label, source = "THREAT_ACTOR", "gazetteer"
                found = self.catalog.resolve_actor(ent.text)
                if found:
                    actor = found.record
                    canonical, kb_id = actor.name, actor.id
                    aliases.setdefault(actor.id, alias_list(actor))
                    kinds[actor.id] = actor.kind
                else:
                    canonical, kb_id = tidy_actor_name(ent.text), None
            elif label in ("MALWARE", "TOOL"):
                found = self.catalog.resolve_software(ent.text)
                if found:
                    canonical, kb_id = found.record.name, found.record.id
            span = Span(doc, ent.start, ent.end, label=label, kb_id=kb_id or "")
            span._.entity_source = source
            span._.canonical = canonical
            span._.kb_id = kb_id
            span._.role = ent._.role
            span._.employer = ent._.employer
            spans.append(span)
        doc.ents = spans
        return doc

    def _is_actor_alias(self, text: str) -> bool:
        key = normalise_name(text)
        if len(key) < 3 or (len(key) == 3 and not any(ch.isdigit() for ch in key)):
            return False
        found = self.catalog.resolve_actor(text)
        if found is None:
            return False
        for alias in found.record.aliases:
            if normalise_name(alias.name) == key and (alias.match == "any" or alias.name == text):
                return True
        return False


def tidy_actor_name(text: str) -> str:
    """An unknown actor's name as canonical: "storm – 2890" -> "Storm-2890", "APT  99" -> "APT 99"."""
    name = re.sub(r"\s*-\s*", "-", " ".join(text.translate(DASHES).split()))
    return re.sub(r"^storm-", "Storm-", name, flags=re.IGNORECASE)


def alias_list(actor: Actor) -> list[dict]:
    seen: set[tuple[str, str]] = set()
    out = []
    for alias in actor.aliases:
        if (alias.name, alias.source) not in seen:
            seen.add((alias.name, alias.source))
            out.append({"name": alias.name, "source": alias.source})
    return out


def actors_in(doc: Doc, catalog: Catalog | None = None) -> list[dict]:
    """The threat actors of a linked doc, in order of first mention:
    `[{canonical, kb_id, kind, aliases: [{name, source}], mentions: [{text, start, end}]}]`; `kind` is the
    catalog's ("group", "microsoft": a group only Microsoft names, "campaign": an ATT&CK campaign).

    Aliases and kinds come from `catalog` when given, else from what `incident_actor_linker` kept."""
    kept: dict[str, list[dict]] = doc.user_data.get(ACTOR_ALIASES_KEY, {})
    kept_kinds: dict[str, str] = doc.user_data.get(ACTOR_KINDS_KEY, {})
    actors: dict[str, dict] = {}
    for ent in doc.ents:
        if ent.label_ != "THREAT_ACTOR":
            continue
        kb_id = ent._.kb_id
        canonical = ent._.canonical or ent.text
        key = kb_id or canonical
        if key not in actors:
            if kb_id and catalog is not None and kb_id in catalog.actors_by_id:
                record = catalog.actors_by_id[kb_id]
                aliases, kind = alias_list(record), record.kind
            else:
                aliases = kept.get(kb_id, []) if kb_id else []
                kind = kept_kinds.get(kb_id, UNLINKED_KIND) if kb_id else UNLINKED_KIND
            actors[key] = {
                "canonical": canonical,
                "kb_id": kb_id,
                "kind": kind,
                "aliases": aliases,
                "mentions": [],
            }
        actors[key]["mentions"].append({"text": ent.text, "start": ent.start_char, "end": ent.end_char})
    return list(actors.values())
