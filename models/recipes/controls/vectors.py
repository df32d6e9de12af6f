"""Embeds the shipped NIST SP 800-53 controls for the requirement ranking (nlp/requirement_ranking.py).

    python -m incident_brief.models.recipes.controls.vectors \
        --controls ../shared/data/security/nist80053/nist800-53-r5-controls.tsv

writes models/catalogs/nist80053-rev5.vectors.npy: one float16 row per control of
models/catalogs/nist80053-rev5.json, in its order, the multilingual USE vector (L2-normalised) of the
control's name, statement and discussion from the NIST file (the catalog keeps short statements only;
the discussion says in plain words what the control is for). float16 halves the file (1 MB) and moves
no cosine by more than about 1e-3.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

from incident_brief.nlp.embeddings import UseEmbedder

CATALOG_DIR = Path(__file__).resolve().parents[2] / "catalogs"
CATALOG_PATH = CATALOG_DIR / "nist80053-rev5.json"
VECTORS_PATH = CATALOG_DIR / "nist80053-rev5.vectors.npy"
_PLACEHOLDER = re.compile(r"\[(?:Assignment|Selection)[^\]]*\]")


def control_texts(tsv: Path, ids: list[str]) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    rows: dict[str, str] = {}
    with tsv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            text = " ".join(
                row.get(key) or ""
                for key in (
                    "Control (or Control Enhancement) Name",
                    "Control (or Control Enhancement)",
                    "Discussion",
                )
            )
            rows[row["Control Identifier"].strip()] = " ".join(_PLACEHOLDER.sub("…", text).split())
    missing = [i for i in ids if i not in rows]
    if missing:
        raise SystemExit(f"{tsv}: controls of the catalog missing: {missing[:5]}")
    return [rows[i] for i in ids]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--controls", type=Path, required=True, help="nist800-53-r5-controls.tsv")
    args = parser.parse_args(argv)
    ids = [c["id"] for c in json.loads(CATALOG_PATH.read_text(encoding="utf-8"))["controls"]]
    vectors = UseEmbedder().embed(control_texts(args.controls, ids))
    np.save(VECTORS_PATH, vectors.astype(np.float16))
    print(f"wrote {VECTORS_PATH} ({len(ids)} controls, {VECTORS_PATH.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
