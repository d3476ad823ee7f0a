# The two commands of the README: `make site` builds the example's governance site,
# `make test` runs the whole test suite. Both set up what they need first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site test setup assets serve clean

site: setup
	$(BIN)/mkdocs build --site-dir site

serve: setup
	$(BIN)/mkdocs serve

test: setup
	$(BIN)/python -m pytest -n auto -q

setup: $(STAMP) assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

assets:
	bash scripts/setup_assets.sh

clean:
	rm -rf $(VENV) site build .cache
