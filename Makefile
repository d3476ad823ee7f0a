# The two commands of the README: `make site` builds the example's governance site,
# `make test` runs the whole test suite. Both set up what they need first.

export NO_MKDOCS_2_WARNING := 1

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site test setup assets serve clean

EXAMPLE := build/example-repo

site: setup $(EXAMPLE)
	$(BIN)/mkdocs build --site-dir site

serve: setup $(EXAMPLE)
	$(BIN)/mkdocs serve

# the example as a git repository with dated commits and release tags (rebuilt when it changes)
$(EXAMPLE): $(shell find examples/attribution-platform -type f) examples/make_history.py
	$(BIN)/python examples/make_history.py --dest $(EXAMPLE) --force

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
