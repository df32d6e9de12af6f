"""Threat-actor alias resolution: every name in Microsoft's naming table against the shipped catalog.

    python benchmarks/aliases.py [--mapping FILE] [--catalog DIR] [--failures N]

The default FILE is ../shared/data/security/MicrosoftMapping.json next to the checkout; if it is
missing, the script says so and exits with 0.

Each row of the table (Microsoft's name, origin, other vendors' names) is one actor. The expected record
of a row is the catalog record that holds the row: the ATT&CK group it joined (the group's links name the
row) or the row's own "microsoft" record. Every name of the row -- the Microsoft name ("new"), the
Microsoft name it replaced (a chemical element or DEV-/Storm- designation among the other names,
"previous") and every other vendor name ("other") -- is given to `Catalog.resolve_actor`:
- strict: the best-supported record is the expected one (the headline figure, target 0.95);
- with alternatives: the expected record is the best one or among the alternatives the resolution lists.
Some names belong to several rows (LABYRINTH CHOLLIMA names four North Korean actors); for them at most one
row can be right under "strict", which is why both figures are printed.

Also printed: join agreement -- of the rows whose Microsoft name ATT&CK lists as an alias of a group, how
many the catalog joined to that group.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from incident_brief.models.catalogs import (
    ELEMENTS,
    MICROSOFT_DESIGNATION,
    Catalog,
    compact_key,
    load_catalog,
)

DEFAULT_MAPPING = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "security" / "MicrosoftMapping.json"
)
TARGET = 0.95


def expected_records(catalog: Catalog) -> dict[str, str]:
    """Microsoft name -> id of the catalog record holding that row."""
    held: dict[str, str] = {}
    for actor in catalog.actors:
        if actor.kind == "microsoft":
            held[actor.name] = actor.id
        for link in actor.links:
            if link.id.startswith("MSTIC:"):
                held[link.name] = actor.id
    return held


def name_kind(name: str, position: int) -> str:
    if position == 0:
        return "new"
    if name.lower() in ELEMENTS or MICROSOFT_DESIGNATION.match(name):
        return "previous"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING)
    parser.add_argument("--catalog", type=Path, default=None, help="catalog folder (default: shipped)")
    parser.add_argument("--failures", type=int, default=40, help="failures to list")
    args = parser.parse_args(argv)
    if not args.mapping.exists():
        print(f"aliases: {args.mapping} not found; nothing to measure")
        return 0
    catalog = load_catalog(args.catalog)
    rows = json.loads(args.mapping.read_text(encoding="utf-8"))
    expected = expected_records(catalog)

    strict: Counter[str] = Counter()
    lenient: Counter[str] = Counter()
    total: Counter[str] = Counter()
    failures = []
    for row in rows:
        new = row["Threat actor name"].strip()
        names = [new, *[n.strip() for n in row["Other names"].split(",") if n.strip()]]
        want = expected.get(new)
        for position, name in enumerate(names):
            kind = name_kind(name, position)
            total[kind] += 1
            found = catalog.resolve_actor(name)
            got = [found.record.id, *[a.id for a in found.alternatives]] if found else []
            if got and got[0] == want:
                strict[kind] += 1
            else:
                failures.append((name, new, want, got[:4]))
            if want in got:
                lenient[kind] += 1

    def line(label: str, right: int, count: int) -> str:
        return f"{label:<24}{right:>5}/{count:<5}{right / count if count else 0:.3f}"

    print(f"Alias resolution over {len(rows)} Microsoft rows ({sum(total.values())} names)")
    print(line("strict, all names", sum(strict.values()), sum(total.values())))
    print(line("with alternatives", sum(lenient.values()), sum(total.values())))
    for kind in ("new", "previous", "other"):
        print(line(f"strict, {kind}", strict[kind], total[kind]))
    agree, comparable = join_agreement(catalog, rows, expected)
    print(line("join agreement", agree, comparable))
    shared = Counter(
        compact_key(n) for row in rows for n in {row["Threat actor name"], *row["Other names"].split(",")}
    )
    print(f"\nFailures ({len(failures)}; name -> expected, got best + alternatives):")
    for name, new, want, got in failures[: args.failures]:
        note = " (name shared by several rows)" if shared[compact_key(name)] > 1 else ""
        print(f"  {name!r} of {new}: want {want}, got {got}{note}")
    overall = sum(strict.values()) / max(1, sum(total.values()))
    print(f"\nstrict accuracy {overall:.3f} (target {TARGET})")
    return 0


def join_agreement(catalog: Catalog, rows: list[dict], expected: dict[str, str]) -> tuple[int, int]:
    by_attack_alias: dict[str, set[str]] = defaultdict(set)
    for actor in catalog.actors:
        if actor.kind == "group":
            for alias in actor.aliases:
                if alias.source == "attack":
                    by_attack_alias[compact_key(alias.name)].add(actor.id)
    agree = comparable = 0
    for row in rows:
        new = row["Threat actor name"].strip()
        groups = by_attack_alias.get(compact_key(new), set())
        if len(groups) == 1:
            comparable += 1
            agree += expected.get(new) in groups
    return agree, comparable


if __name__ == "__main__":
    sys.exit(main())
