# Comptoir — `make run` and `make test` set everything up from a clean checkout.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
DEPS := $(VENV)/.deps-installed
VENDOR := static/vendor/.installed
CATALOGS := translations/en/LC_MESSAGES/messages.mo

.PHONY: setup run demo migrate test test-postgres fuzz bench serve create-admin backup clean

setup: $(DEPS) $(VENDOR) $(CATALOGS)

$(DEPS): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/htmx
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/htmx.min.js
	touch $@

$(CATALOGS): translations/en/LC_MESSAGES/messages.po $(DEPS)
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations -f -D messages >/dev/null

migrate: setup
	$(FLASK) migrate

run: migrate
	$(FLASK) run --host 127.0.0.1 --port 5000

# DEMO-1: a separate demo instance (instance/demo/) with three months of activity, served on :5001.
demo: setup
	$(FLASK) demo

# Production: several workers behind a reverse proxy (OPS-5).
serve: migrate
	PORTAL_CONFIG=prod $(VENV)/bin/gunicorn --workers 4 --bind 127.0.0.1:8000 wsgi:app

create-admin: migrate
	$(FLASK) create-admin

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL (default: the local server, database comptoir_test).
test-postgres: setup
	PORTAL_TEST_DATABASE_URL=$${PORTAL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/comptoir_test} $(PY) -m pytest $(PYTEST_ARGS)

# SEC-2: the property-based fuzz of every form, far longer than in `make test`.
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest -q tests/web/test_sec_2_fuzz.py $(PYTEST_ARGS)

# OPS-3: one archive of the database, the documents and the keys (see README, « Sauvegarde »).
backup: setup
	mkdir -p instance/sauvegardes
	$(FLASK) backup instance/sauvegardes/comptoir-$$(date +%Y%m%d-%H%M%S).tar

# Performance figures, each next to its floor (raw SQL / library call) with the ratio; see each script's docstring.
BENCH_SCRIPTS := scripts/bench.py scripts/bench_batch.py scripts/bench_books.py scripts/bench_cashflow.py scripts/bench_einvoice.py
bench: setup
	set -e; for script in $(BENCH_SCRIPTS); do echo "== $$script =="; $(PY) $$script $(BENCH_ARGS); done

clean:
	rm -rf $(VENV) node_modules static/vendor test-output
