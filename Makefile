# trialsite: `make run` to try it, `make test` to test it. See README.md.
VENV      := .venv
BIN       := $(VENV)/bin
PYTHON    ?= $(shell .ci/find-python)
PG_URL    ?= postgres://postgres@127.0.0.1:5432/trialsite
REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; each has its own test database.
PYTEST_WORKERS ?= auto

.PHONY: install run test test-services bench-smoke prod-smoke lint demo clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

# SQLite database, both protocols, the demo trial, then the web app and its Celery worker + beat
# (file-system broker: no Redis needed) under honcho until Ctrl-C.
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "trialsite is starting on http://127.0.0.1:8000  (Ctrl-C stops the web app and the jobs)"
	$(BIN)/honcho start -f Procfile.dev

# The whole suite on SQLite, no services; PostgreSQL-only and Redis-worker tests are left to
# test-services. Browser tests run when Debian's Chromium is installed.
test: install
	env -u DATABASE_URL -u CELERY_BROKER_URL CELERY_TASK_ALWAYS_EAGER=1 \
	  $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not postgres and not services" $(PYTEST_ARGS)

# The same suite on this machine's PostgreSQL and Redis, plus the tests that need them.
test-services: install
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) CELERY_RESULT_BACKEND=$(REDIS_URL) \
	  CELERY_TASK_ALWAYS_EAGER=1 \
	  TRIALSITE_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	$(MAKE) -s bench-smoke

# Every benchmark at a tiny size on PostgreSQL (bench/README.md): a bench broken by a schema
# or API change fails here instead of rotting. Each uses throw-away trialsite_bench* databases.
bench-smoke: install
	@set -e; for bench in $$(grep -l 'parse_args(parser' bench/[!_]*.py); do \
	  echo "== $$bench --smoke"; \
	  DATABASE_URL=$(PG_URL)_bench BENCH_DATABASE_URL=$(PG_URL)_bench_exp \
	    $(BIN)/python $$bench --smoke; \
	done

# The production topology on this machine with real processes (nginx + TLS, two gunicorn, two
# Celery workers on separate queues, one beat, PostgreSQL with two roles, Redis, S3 on moto's
# server): log in, enter a visit, build and download a data package, stream the ODM file, kill a
# worker, restore a backup. Needs nginx (Debian package); about 5 minutes. See docs/deployment.md.
prod-smoke: install
	$(BIN)/python scripts/prod_smoke.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf var $(VENV)
