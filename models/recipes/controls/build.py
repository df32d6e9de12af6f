"""Builds the compact control and mitigation catalogs shipped in models/catalogs/.

    python -m incident_brief.models.recipes.controls.build \
        --controls ../shared/data/security/nist80053/nist800-53-r5-controls.tsv \
        --attack ../shared/data/security/attack-enterprise-compact.json

writes models/catalogs/nist80053-rev5.json (NIST SP 800-53 rev5: id, title, family, short statement;
withdrawn controls left out), models/catalogs/attack-mitigations.json (ATT&CK Enterprise
mitigations: id, name, short description) and their sources and licences, NOTICE-controls.md (its own
file: the actor catalog's refresh rewrites NOTICE.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parents[2] / "catalogs"
FAMILIES = {
    "AC": "Access Control", "AT": "Awareness and Training", "AU": "Audit and Accountability",
    "CA": "Assessment, Authorization, and Monitoring", "CM": "Configuration Management",
    "CP": "Contingency Planning", "IA": "Identification and Authentication", "IR": "Incident Response",
    "MA": "Maintenance", "MP": "Media Protection", "PE": "Physical and Environmental Protection",
    "PL": "Planning", "PM": "Program Management", "PS": "Personnel Security",
    "PT": "PII Processing and Transparency", "RA": "Risk Assessment", "SA": "System and Services Acquisition",
    "SC": "System and Communications Protection", "SI": "System and Information Integrity",
    "SR": "Supply Chain Risk Management",
}  # fmt: skip
MAX_STATEMENT_CHARS = 400  # enough for matching and display; the full text stays with NIST
_PLACEHOLDER = re.compile(r"\[(?:Assignment|Selection)[^\]]*\]")


def short_statement(statement: str) -> str:
    """One line, organisation-defined placeholders written as "…", cut at a word boundary."""
    text = " ".join(_PLACEHOLDER.sub("…", statement).split())
    if len(text) <= MAX_STATEMENT_CHARS:
        return text
    return text[:MAX_STATEMENT_CHARS].rsplit(" ", 1)[0] + " …"


def build_controls(path: Path) -> dict:
    controls = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            statement = row["Control (or Control Enhancement)"].strip()
            if not statement:  # withdrawn: the row has a name only
                continue
            control_id = row["Control Identifier"].strip()
            controls.append(
                {
                    "id": control_id,
                    "title": row["Control (or Control Enhancement) Name"].strip(),
                    "family": FAMILIES[control_id.split("-")[0]],
                    "statement": short_statement(statement),
                }
            )
    meta = {
        "source": "NIST SP 800-53 Revision 5 controls (public domain), via "
        "center-for-threat-informed-defense/attack-control-framework-mappings",
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    return {"meta": meta, "controls": controls}


def build_mitigations(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    mitigations = [
        {"id": m["attack_id"], "name": m["name"], "description": short_statement(m.get("description") or "")}
        for m in data["types"]["course-of-action"]
    ]
    meta = {
        "source": data.get("source", "MITRE ATT&CK Enterprise"),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "licence": "ATT&CK terms of use (LICENSE-attack.txt)",
    }
    return {"meta": meta, "mitigations": sorted(mitigations, key=lambda m: m["id"])}


def _write(data: dict, key: str, path: Path) -> None:
    # One record per line: small, and a rebuild's diff stays readable.
    lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in data[key]]
    head = json.dumps(data["meta"], ensure_ascii=False, separators=(",", ":"))
    path.write_text('{"meta":' + head + ',"' + key + '":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def notice(controls: dict, mitigations: dict) -> str:
    count = len(controls["controls"])
    return f"""# Control catalog sources and licences

Written by `python -m incident_brief.models.recipes.controls.build --controls FILE --attack FILE`,
with the two files below; the source files' sha256 are in each file's `meta`.

## NIST SP 800-53 Revision 5 controls

- `nist80053-rev5.json`: id, title, family and a shortened statement (organisation-defined placeholders
  written as "…", cut at {MAX_STATEMENT_CHARS} characters) of the {count:,} current controls and
  enhancements of NIST SP 800-53 Revision 5 (withdrawn ones left out).
- Source: {controls["meta"]["source"]} (`{controls["meta"]["file"]}`, sha256
  {controls["meta"]["sha256"]}).
- Licence: public domain (a work of the U.S. Government, not subject to copyright in the United States).

## ATT&CK Enterprise mitigations

- `attack-mitigations.json`: the {len(mitigations["mitigations"])} ATT&CK Enterprise mitigations (id, name,
  shortened description). Source: {mitigations["meta"]["source"]} (sha256 {mitigations["meta"]["sha256"]}).
- Licence: ATT&CK terms of use (royalty-free licence for research, development and commercial purposes;
  attribution required). Full text: LICENSE-attack.txt.

© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE
Corporation. ATT&CK® is a registered trademark of The MITRE Corporation.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--controls", type=Path, required=True, help="nist800-53-r5-controls.tsv")
    parser.add_argument("--attack", type=Path, required=True, help="attack-enterprise-compact.json")
    parser.add_argument("--out", type=Path, default=CATALOG_DIR)
    args = parser.parse_args(argv)
    controls, mitigations = build_controls(args.controls), build_mitigations(args.attack)
    _write(controls, "controls", args.out / "nist80053-rev5.json")
    _write(mitigations, "mitigations", args.out / "attack-mitigations.json")
    (args.out / "NOTICE-controls.md").write_text(notice(controls, mitigations), encoding="utf-8")


if __name__ == "__main__":
    main()
