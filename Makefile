# Fixline: `make run` serves the demo, `make test` runs the whole suite. Both set up .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Listen backlog for daphne (Twisted's default is 50: a join storm of 5,000 sockets was half
# refused); the kernel caps it at net.core.somaxconn (docs/performance.md, "Storms").
BACKLOG ?= 4096
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint format bench system-deps clean cluster cluster-stop

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var/mail
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "Fixline on http://127.0.0.1:$(PORT)/"
	@echo "  accounts: admin, agent, volunteer, citizen (password demo-<username>)"
	@echo "  Open311 API key: demo-open311-key"
	@echo "  e-mail: files in var/mail/; the task worker is a child process of daphne (FIXLINE_EMBEDDED_WORKER)"
	ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; \
	FIXLINE_EMBEDDED_WORKER=$${FIXLINE_EMBEDDED_WORKER:-1} $(VENV)/bin/daphne -e tcp:port=$(PORT):backlog=$(BACKLOG):interface=127.0.0.1 --http-timeout 300 --websocket_connect_timeout 10 project.asgi:application

# The whole suite: on SQLite, then again on a real PostgreSQL (and Redis) started on loopback.
test: $(STAMP) system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m security.audit
	$(PY) -m tests.support.run_suite

system-deps:
	@$(PY) -m tests.support.system_deps

# ruff, the import contracts (layers, no cycles: pyproject.toml) and mypy with django-stubs.
lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

bench: $(STAMP) system-deps
	$(PY) -m tests.support.system_deps --bench
	$(PY) -m pytest tests/bench -p no:cacheprovider -s -o addopts=""

# The production shape on loopback: nginx → 2 daphne → PostgreSQL + Redis, and the task
# worker; state under var/cluster/ (docs/deploy.md).
cluster: $(STAMP)
	$(PY) -m tests.support.cluster start

cluster-stop:
	$(PY) -m tests.support.cluster stop

clean:
	rm -rf $(VENV) var
