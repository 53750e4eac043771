# Every target CI runs is here; `make run` and `make test` set everything up on first call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JDX_DATA_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint typecheck check bench icd clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

## run: the hub on SQLite with demo data, at http://127.0.0.1:8000/docs
run: $(STAMP)
	$(BIN)/jdx db upgrade
	$(BIN)/jdx demo
	$(BIN)/jdx serve

## test: lint, types and the whole suite (SQLite; PostgreSQL too when it answers)
test: $(STAMP) lint typecheck test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(BIN)/pytest -n auto -q

# PostgreSQL runs when a server answers at PG_TEST_URL (CI and the dev machines have one);
# CI sets JDX_REQUIRE_POSTGRES=1 so that a missing server fails instead of skipping.
test-postgres: $(STAMP)
	@if $(BIN)/python -c "import sys,psycopg; psycopg.connect(sys.argv[1].replace('+psycopg','')).close()" "$(PG_TEST_URL)" 2>/dev/null; then \
		JDX_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -n auto -q; \
	elif [ -n "$$JDX_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required but does not answer at $(PG_TEST_URL)"; exit 1; \
	else echo "PostgreSQL not reachable at $(PG_TEST_URL): PostgreSQL pass skipped"; fi

LINTED := src tests $(wildcard bench)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: the figures in docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m bench

icd: $(STAMP)
	$(BIN)/jdx icd stops --out docs/icd
	$(BIN)/jdx icd cases --out docs/icd

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
