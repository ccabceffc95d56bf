# EventHub: `make run` (set up and start everything) and `make test` (the whole suite).
# Defaults need no servers: SQLite under var/ and kombu's filesystem broker. Set DATABASE_URL and
# CELERY_BROKER_URL (e.g. postgres://... and redis://...) to use PostgreSQL and Redis instead.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test

# Local receivers are on 127.0.0.1 over http; production defaults refuse both (see docs/configuration.md).
export EVENTHUB_SSRF_ALLOW ?= 127.0.0.1,::1,localhost
export EVENTHUB_ALLOW_HTTP_HOSTS ?= 127.0.0.1,localhost


.PHONY: chromium run dev test install install-test setup test-faults test-e2e bench bench-quick lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make run` installs what running needs; the test tools (browser driver, schemathesis, vendor SDKs) come with `make test`.
$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(INSTALLED)

$(TEST_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(TEST_INSTALLED)

install: $(INSTALLED)

install-test: $(TEST_INSTALLED)

setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_catalog
	$(BIN)/python manage.py setup_beat
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# gunicorn + worker + beat: the production server and the Procfile's commands (the banner says so).
run: setup
	$(BIN)/python manage.py bootstrap_demo --url http://127.0.0.1:8000
	$(BIN)/python manage.py run_hub --addr 127.0.0.1:8000

# Django's development server with autoreload (DEBUG on) instead of gunicorn; for working on the code.
dev: setup
	$(BIN)/python manage.py bootstrap_demo --url http://127.0.0.1:8000
	EVENTHUB_DEBUG=1 $(BIN)/python manage.py run_hub --dev --addr 127.0.0.1:8000

test: lint chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium (no browser download). Installed when missing and apt is usable;
# otherwise those tests skip outside CI and fail in CI, saying why.
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium; browser tests will say so"; \
	fi

# The fault-injection suite alone (also part of `make test`; it needs PostgreSQL + Redis via
# DATABASE_URL / CELERY_BROKER_URL and restarts Redis, leaving it running).
test-faults: install-test
	$(BIN)/python -m pytest tests/faults -m faults -s $(PYTEST_ARGS)

# The e2e and fault suites alone; CI runs them a second time with CELERY_BROKER_URL=amqp://... (RabbitMQ).
test-e2e: install-test
	$(BIN)/python -m pytest tests/e2e tests/faults -s $(PYTEST_ARGS)

# Benchmarks run on PostgreSQL + Redis (a throwaway test database; Redis db 9) unless told otherwise.
BENCH_ENV = DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/eventhub_bench} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/9}

bench: install-test
	$(BENCH_ENV) $(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: install-test
	$(BENCH_ENV) $(BIN)/python -m bench --quick $(BENCH_ARGS)

# Lint, format and the layer contract of docs/architecture.md (pyproject.toml [tool.importlinter]); `make test`
# (hence CI) runs it before the suite.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf var/ .pytest_cache .hypothesis
