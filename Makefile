# Keystone CRM. `make run` starts the whole product; `make test` runs lint, layers, types, migration checks and the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_DEPS := $(VENV)/.run-deps
DEV_DEPS := $(VENV)/.dev-deps

# mypy's Django plugin imports the settings; URLs that nothing connects to keep it from starting embedded servers.
TYPECHECK_ENV := DATABASE_URL=postgresql://typecheck@127.0.0.1:1/typecheck REDIS_URL=redis://127.0.0.1:1/0

.PHONY: run dev test test-citus lint fmt pytest fuzz bench bench-ratio migrate stop-services clean-data

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_DEPS): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV_DEPS): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(RUN_DEPS)

run: $(RUN_DEPS)
	$(PY) -m crm.run

# Development: Django's own server with autoreload, on the same embedded services (`make run` sets them up once).
dev: $(RUN_DEPS)
	$(PY) manage.py runserver $${HOST:-127.0.0.1}:$${PORT:-8000}

# The suite includes `makemigrations --check` (tests/test_migrations.py), so it runs on the suite's servers.
test: $(DEV_DEPS) lint pytest

lint: $(DEV_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(TYPECHECK_ENV) $(VENV)/bin/mypy .

fmt: $(DEV_DEPS)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

pytest: $(DEV_DEPS)
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite on Citus (docs/citus.md): PostgreSQL 15 and the prebuilt Citus from CITUS_TOOLS are installed (as root),
# a coordinator and two workers start afresh on loopback ports CITUS_PORT..+2 with schema-based sharding, the test
# database is made on all three nodes and reused by pytest-django, and the cluster stops however the run ends.
# Tests marked not_on_citus are left out: each says why, and docs/citus.md explains them.
CITUS_TOOLS ?= ../shared/tools/citus
CITUS_PORT ?= 9700
CITUS_DATA := $(abspath .data/citus)
CITUS_TEST_DATABASE ?= test_crm_citus
# The prebuilt Citus links against symbols that Debian's PostgreSQL 15 exports from this release on.
CITUS_POSTGRES_MIN ?= 15.20
CITUS_CLUSTER := $(abspath $(CITUS_TOOLS))/cluster.sh

test-citus: $(DEV_DEPS)
	@installed=$$(dpkg-query -W -f='$${Version}' postgresql-15 2>/dev/null || echo 0); \
	dpkg --compare-versions "$$installed" ge $(CITUS_POSTGRES_MIN) || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; }
	$(CITUS_CLUSTER) install
	$(CITUS_CLUSTER) stop $(CITUS_DATA)
	rm -rf $(CITUS_DATA)
	@trap '$(CITUS_CLUSTER) stop $(CITUS_DATA)' EXIT; \
	$(CITUS_CLUSTER) start $(CITUS_DATA) $(CITUS_PORT) && \
	$(CITUS_CLUSTER) createdb $(CITUS_TEST_DATABASE) $(CITUS_PORT) && \
	DATABASE_URL=postgresql://postgres@127.0.0.1:$(CITUS_PORT)/postgres TEST_DATABASE_NAME=$(CITUS_TEST_DATABASE) \
		$(PY) -m pytest --reuse-db -m 'not fuzz and not not_on_citus' $(PYTEST_ARGS)

# Schemathesis against a live server, as in the suite (tests/test_schemathesis.py) but with many more examples
# per operation; FUZZ_MAX_EXAMPLES, FUZZ_MAX_TIME (seconds), FUZZ_SEED and FUZZ_REPORT_DIR tune it.
fuzz: $(DEV_DEPS)
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-100} FUZZ_MAX_TIME=$${FUZZ_MAX_TIME:-3600} \
		$(PY) -m pytest -q -m fuzz tests/test_schemathesis.py $(PYTEST_ARGS)

migrate: $(RUN_DEPS)
	$(PY) manage.py migrate_schemas --noinput

bench: $(DEV_DEPS)
	$(PY) -m benchmarks.run_all

# Only our hot paths against the bare framework (benchmarks/README.md), in-process and under the real server.
bench-ratio: $(DEV_DEPS)
	$(PY) -m benchmarks.framework_ratio

# The embedded servers outlive one-off manage.py commands; this stops them.
stop-services: $(RUN_DEPS)
	$(PY) -c 'from common.embedded import stop_postgres, stop_redis; stop_redis(); stop_postgres()'

clean-data: stop-services
	rm -rf .data
