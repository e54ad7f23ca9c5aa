# gridgov — make run (serve the demo district) and make test (the whole suite).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_JS := node_modules/.installed
VENDOR := gridgov/web/static/vendor/leaflet/leaflet.js
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# Parallel test processes (pytest-xdist); JOBS=0 runs in this process only.
JOBS ?= 2
XDIST := $(if $(filter 0,$(JOBS)),,-n $(JOBS))

.PHONY: setup run test test-sqlite test-pg test-dates bench fuzz lint clean messages

setup: $(STAMP_PY) $(VENDOR) messages

$(STAMP_PY): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(STAMP_JS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR): $(STAMP_JS) scripts/vendor_assets.py $(STAMP_PY)
	$(PY) scripts/vendor_assets.py

messages: $(STAMP_PY)
	$(PY) manage.py compilemessages_py --verbosity 0

run: setup
	$(VENV)/bin/gridgov serve --init

# The suite on the embedded SQLite database; set DATABASE_URL to run it on PostgreSQL instead.
test: setup
	$(PY) -m pytest -q $(XDIST) $(PYTEST_ARGS)

test-pg: setup
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q $(XDIST) $(PYTEST_ARGS)

# The whole suite at other moments (Asia/Shanghai; docs/testing.md): the first minutes of a month (UTC still in the
# month before) and the last minutes of a year. Each run prints how long it took; the target fails if any run failed.
TEST_DATES ?= 2027-03-01T00:30 2026-12-31T23:30
TEST_DATES_ARGS ?= -n 2
test-dates: setup
	@failed=""; for clock in $(TEST_DATES); do \
	  echo "== make test-dates: the suite at $$clock (Asia/Shanghai)"; \
	  start=$$(date +%s); \
	  GRIDGOV_TEST_CLOCK=$$clock $(PY) -m pytest -q $(TEST_DATES_ARGS) $(PYTEST_ARGS) || failed="$$failed $$clock"; \
	  echo "== make test-dates: $$clock took $$(( $$(date +%s) - start )) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "== make test-dates: FAILED at$$failed"; exit 1; fi

# ruff (style and likely bugs) and the layer contract (an import never runs upward).
lint: $(STAMP_PY)
	$(VENV)/bin/ruff check gridgov config bench scripts conftest.py manage.py
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) -m bench all

# schemathesis against /api/v1/openapi.json on a server of its own (a fresh SQLite file with the small demo), as a
# dispatcher, a grid worker and without a session: fails on any 5xx or answer that breaks the document.
# FUZZ_SECONDS per session (default 60); FUZZ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME to run on a new
# PostgreSQL database of that name (created and dropped); see docs/reliability.md.
FUZZ_SECONDS ?= 60
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) scripts/fuzz_api.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) node_modules gridgov/web/static/vendor var
