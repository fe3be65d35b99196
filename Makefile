# Pilah: `make run` and `make test` do all the set-up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_DIR := models/default
MODEL := $(MODEL_DIR)/meta.json
HOST ?= 127.0.0.1
PORT ?= 8000
CORPUS := $(wildcard corpus/data/*/*.jsonl) corpus/taxonomy.yaml $(wildcard corpus/lexicon/*) corpus/splits/test.txt
# The model embeds the text path: rebuild it when that code changes too.
CODE := $(wildcard nlp/*.py models/*.py corpus/*.py)

.PHONY: install model run test bench lint typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Pilah needs Python >= 3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The default model is built from the shipped corpus, never committed; rebuilt when the corpus changes.
model: $(MODEL)

$(MODEL): $(STAMP) $(CORPUS) $(CODE)
	$(BIN)/pilah train --out $(MODEL_DIR) --name pilah-default

run: $(MODEL)
	PILAH_HOST=$(HOST) PILAH_PORT=$(PORT) $(BIN)/pilah serve

test: $(MODEL)
	$(BIN)/ruff check nlp corpus models service tests bench
	$(BIN)/mypy nlp corpus models service
	$(BIN)/python -m pytest -q

bench: $(MODEL)
	$(BIN)/python bench/run.py --out BENCHMARKS.md

lint:
	$(BIN)/ruff check nlp corpus models service tests bench

typecheck:
	$(BIN)/mypy nlp corpus models service

clean:
	rm -rf $(VENV) $(MODEL_DIR) .pytest_cache .mypy_cache .ruff_cache
