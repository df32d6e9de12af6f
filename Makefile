# Two commands set up everything on a fresh machine (README): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
DEMO_OUT ?= out/demo

.PHONY: install install-test demo test lint benchmarks train-de clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

## Collect the bundled demo corpus (offline), analyse and cluster it, and write its incident briefs.
demo: install
	$(BIN)/brief --db $(DEMO_DB) collect --path demo/site
	$(BIN)/brief --db $(DEMO_DB) summarize --out $(DEMO_OUT)
	@echo "Demo briefs: $(DEMO_OUT)/index.html (Markdown, JSON and STIX beside it; database: $(DEMO_DB))"

## Lint and run the whole test suite.
test: install-test lint
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

benchmarks: install-test
	$(BIN)/python -m pip install --quiet -e '.[test,train]'
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/collect_throughput.py
	$(BIN)/python benchmarks/ner_de.py
	$(BIN)/python benchmarks/ner_en.py
	$(BIN)/python benchmarks/ner_security.py
	$(BIN)/python benchmarks/aliases.py
	$(BIN)/python benchmarks/analyze_throughput.py
	$(BIN)/python benchmarks/quotes.py
	$(BIN)/python benchmarks/timex_en.py
	$(BIN)/python benchmarks/requirements.py
	$(BIN)/python benchmarks/export_requirements.py
	$(BIN)/python benchmarks/clustering_ecb.py
	$(BIN)/python benchmarks/clustering_scale.py
	$(BIN)/python benchmarks/summarize_briefs.py
	$(BIN)/python benchmarks/brief_invariants.py
	$(BIN)/python benchmarks/serve_pages.py

## Retrain the shipped German pipeline from ../shared/data (models/recipes/de/MODEL_CARD.md).
train-de: install-test
	PYTHON=$(BIN)/python models/recipes/de/train.sh

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm out build
