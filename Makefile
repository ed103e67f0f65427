# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-pg lint translations seed clean lock upgrade assets

# Installs exactly the pinned files (every transitive package pinned by `make lock`).
$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

PIP_COMPILE = $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --annotation-style=line

## Pin the direct dependencies (*.in) and everything they pull in (*.txt).
lock: $(BIN)/activate
	$(BIN)/pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in
	$(PIP_COMPILE) -o requirements-bench.txt requirements-bench.in

## Move every pin to the newest release the *.in files allow; then run `make test`.
upgrade: PIP_COMPILE += --upgrade
upgrade: lock

## Rebuild the front-end files, then commit them: after a template uses another Bootstrap class
## or icon (the tests name it), or anything under static/ changes. npm is needed here only:
## the reduced Bootstrap CSS, the icon sprite and axe-core (assets/build.mjs), then the
## content-hashed, precompressed copies the pages link (static/dist/).
assets: $(BIN)/activate static/img/apple-touch-icon.png
	cd assets && npm ci --no-audit --no-fund --loglevel=error && node build.mjs
	$(BIN)/python scripts/digest_static.py

# The home-screen icons and favicon, drawn from the SVG with Debian's chromium.
static/img/apple-touch-icon.png: static/img/icon.svg scripts/app_icons.py
	$(BIN)/python scripts/app_icons.py

translations: $(BIN)/activate
	$(BIN)/pybabel compile --use-fuzzy -d translations -f >/dev/null

## Set up, migrate, seed and serve on SQLite at a printed URL.
run: translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	@PORT=$${PORT:-$$($(BIN)/python scripts/free_port.py)}; \
	echo ""; echo "  Serving at http://$(HOST):$$PORT/  (demo accounts: see README)"; echo ""; \
	$(BIN)/flask run --host $(HOST) --port $$PORT

## The whole suite: lint, translations, SQLite, then PostgreSQL; browser tests included.
test: translations
	bash scripts/ensure_browser.sh
	$(BIN)/ruff check .
	$(BIN)/python scripts/check_translations.py
	$(MAKE) --jobs=2 --output-sync=target test-sqlite test-pg  # the two passes side by side, each printed whole when it ends

test-sqlite: $(BIN)/activate
	$(BIN)/python -m pytest -q

test-pg: $(BIN)/activate
	@if $(BIN)/python scripts/pg_reachable.py "$(PG_TEST_URL)"; then \
		TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest -q; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(PG_TEST_URL): CI must run the PostgreSQL suite" >&2; exit 1; \
	else \
		echo "SKIPPED: the PostgreSQL suite, no PostgreSQL at $(PG_TEST_URL)"; \
	fi

lint: $(BIN)/activate
	$(BIN)/ruff check .

## Re-extract messages after changing user-visible strings.
messages: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs '.*' -o messages.pot . >/dev/null  # templates/_chrome too
	$(BIN)/pybabel update -i messages.pot -d translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance
