# Every target CI runs is here; `make run` and `make test` set everything up on first call.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
export JDX_DATA_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The share of src/jdx that the SQLite pass of `make test` must cover (91-93 % measured on 2026-12-06).
COVERAGE_FLOOR ?= 90
# What `make test-fast` leaves out: real server processes, SMTP, the browser, PostgreSQL.
FAST := not server and not smtp and not browser and not postgres

.PHONY: run test test-sqlite test-postgres test-fast test-latest lint typecheck bench docs icd \
	lock clean

# The virtual environment, from the lock: every package pinned with its hashes (pip checks them),
# then the project itself without dependencies. A change to the lock reinstalls.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## run: the hub on SQLite with demo data (its keys and portal users printed), at http://127.0.0.1:8000/ (JDX_HOST, JDX_PORT)
run: $(STAMP)
	$(BIN)/jdx db upgrade
	$(BIN)/jdx demo
	$(BIN)/jdx serve

## test: lint, types and the whole suite (SQLite with coverage; PostgreSQL too when it answers)
test: $(STAMP) lint typecheck test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(BIN)/pytest -n auto -q --cov=jdx --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR)

## test-fast: the suite without real servers, SMTP, the browser or PostgreSQL
test-fast: $(STAMP)
	$(BIN)/pytest -n auto -q -m "$(FAST)"

# PostgreSQL runs when a server answers at PG_TEST_URL (CI and the dev machines have one);
# CI sets JDX_REQUIRE_POSTGRES=1 so that a missing server fails instead of skipping.
test-postgres: $(STAMP)
	@if $(BIN)/python -c "import sys,psycopg; psycopg.connect(sys.argv[1].replace('+psycopg','')).close()" "$(PG_TEST_URL)" 2>/dev/null; then \
		JDX_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -n auto -q; \
	elif [ -n "$$JDX_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required but does not answer at $(PG_TEST_URL)"; exit 1; \
	else echo "PostgreSQL not reachable at $(PG_TEST_URL): PostgreSQL pass skipped"; fi

## test-latest: the newest releases pyproject.toml allows (not the lock), in .venv-latest, fast suite
# It tells, by name, which upstream release breaks jdx before anyone refreshes the lock.
test-latest:
	test -x .venv-latest/bin/python || $(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev,bench]'
	.venv-latest/bin/python -m pip list --format=freeze > .venv-latest/versions.txt
	.venv-latest/bin/python tools/newer_than_lock.py $(LOCK) .venv-latest/versions.txt
	.venv-latest/bin/pytest -n auto -q -m "$(FAST)" -p no:cacheprovider

## lock: refresh requirements.lock to the newest releases pyproject.toml allows (then `make test`)
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --extra tracing --universal \
		--python-version 3.11 --generate-hashes --upgrade --quiet -o $(LOCK)

LINTED := src clients tests tools $(wildcard bench)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: the figures in docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m bench

## docs: the generated references (docs/settings.md, the try-it collection); a test fails when they are out of date
docs: $(STAMP)
	$(BIN)/python -m jdx.settings_doc > docs/settings.md
	$(BIN)/python tools/postman_collection.py > clients/postman/jdx.postman_collection.json

icd: $(STAMP)
	$(BIN)/jdx icd stops --out docs/icd
	$(BIN)/jdx icd cases --out docs/icd

clean:
	rm -rf $(VENV) .venv-latest var .pytest_cache .mypy_cache .ruff_cache .coverage
