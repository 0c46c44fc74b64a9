# Two entry points for a fresh machine (Python 3.11, pip, make):
#   make demo   build the sample district and print its summary
#   make test   lint and run the whole test suite
# Both create or refresh the virtual environment in .venv first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := layers/sample_district.gpkg

.PHONY: demo test lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

$(SAMPLE): $(STAMP)
	$(BIN)/gridgis sample $(SAMPLE)

demo: $(STAMP)
	$(BIN)/gridgis sample $(SAMPLE)
	$(BIN)/gridgis info $(SAMPLE)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts $(SAMPLE)
