# hkgraph task runner. `make serve` is the main job, `make test` the whole gate (CI runs it).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUNTIME_STAMP := $(VENV)/.runtime-stamp
PORT ?= 8001

.PHONY: help runtime install serve build yasqe test lint pytest schema fmt system-deps bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The runtime (what `make serve` needs) and the test tools (Playwright, ruff, … for `make test`) install apart.
$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): $(RUNTIME_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

runtime: $(RUNTIME_STAMP)  ## create .venv and install hkgraph with its runtime dependencies only

install: $(STAMP)  ## create .venv and install hkgraph with its test tools

build: runtime  ## validate data/ and write dist/ (atomic)
	$(BIN)/hkgraph build

serve: runtime  ## build if stale and serve the dataset with Datasette on 127.0.0.1:$(PORT)
	$(BIN)/hkgraph serve --port $(PORT)

lint: install  ## ruff, generated-schema and metadata.yml drift, canonical records, data validation
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/hkgraph schema --check
	$(BIN)/hkgraph metadata --check
	$(BIN)/hkgraph fmt --check
	$(BIN)/hkgraph validate --no-warnings

pytest: install
	$(BIN)/python -m pytest -q -ra

test: lint pytest  ## the whole gate: linters and every test

schema: install  ## regenerate schema/ from the models
	$(BIN)/hkgraph schema

fmt: install  ## rewrite records in canonical form
	$(BIN)/hkgraph fmt

system-deps:  ## Debian packages the tests need (headless Chromium); run as root
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

bench: install  ## scale benchmarks (writes benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/run.py

yasqe:  ## refresh the SPARQL editor's built files in src/hkgraph/web/plugin/static/ (needs npm; commit the result)
	sh scripts/yasqe_assets.sh

clean:  ## remove built files
	rm -rf dist .pytest_cache
