# Two commands matter: `make run` (serve the demo) and `make test` (every check).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORTAL := src/keyhouse/static/portal/index.html
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv portal run test lint test-py test-portal bench openapi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

openapi: $(STAMP)
	$(BIN)/keyhouse openapi > frontend/openapi.json

# The portal is built from source on every machine; built assets are never committed.
portal: $(STAMP)
	@if [ -f frontend/package.json ]; then \
	  $(BIN)/keyhouse openapi > frontend/openapi.json && \
	  cd frontend && npm install --no-audit --no-fund --loglevel=error && \
	  npm run gen && npm run build; \
	else echo "no frontend/ yet: serving the API only"; fi

run: portal
	$(BIN)/keyhouse demo
	$(BIN)/keyhouse serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test-portal: portal
	@if [ -f frontend/package.json ]; then \
	  cd frontend && npm run lint && npm run typecheck && npm test; fi

# API tests run on SQLite, and on PostgreSQL too when a server can be started here
# (scripts/with-postgres.sh starts a throwaway one, or uses KEYHOUSE_TEST_POSTGRES_URL).
test-py: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test: lint test-portal test-py

# On PostgreSQL too when it is installed (a throw-away cluster, like the tests).
bench: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) data frontend/node_modules src/keyhouse/static/portal
