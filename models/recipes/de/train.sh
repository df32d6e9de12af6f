#!/usr/bin/env bash
# Reproduce the shipped German pipeline (models/pipelines/de) from ../shared/data and this folder.
# Usage: models/recipes/de/train.sh [extra `spacy train` overrides, e.g. --training.max_steps 2000]
# Environment: DATA (default ../shared/data), BUILD (default build/ner-de), TARGET (default models/pipelines/de),
# PYTHON (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../../.."
DATA=${DATA:-../shared/data}
BUILD=${BUILD:-build/ner-de}
PYTHON=${PYTHON:-.venv/bin/python}
TARGET=${TARGET:-models/pipelines/de}
RECIPE=models/recipes/de
# One thread: the reference machine has two shared cores, and the numbers in MODEL_CARD.md were measured so.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

"$PYTHON" "$RECIPE/prepare.py" --data "$DATA/ner" --out "$BUILD/corpus" --smartdata
"$PYTHON" "$RECIPE/build_subwords.py" --data "$DATA" --out "$BUILD/subwords.npz"
"$PYTHON" -m spacy train "$RECIPE/config.cfg" --code "$RECIPE/code.py" --output "$BUILD/training" \
    --paths.train "$BUILD/corpus/train" --paths.dev "$BUILD/corpus/holdout.spacy" \
    --paths.subwords "$BUILD/subwords.npz" "$@"
"$PYTHON" "$RECIPE/package.py" "$BUILD/training/model-best" "$TARGET"
"$PYTHON" benchmarks/ner_de.py --model "$TARGET" --data "$DATA/ner/germeval2014-dev.tsv"
