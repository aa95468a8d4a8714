# Tunekeeper. `make demo` runs the whole app on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_ENV := DEBUG=true SITE_URL=http://$(HOST):$(PORT)
# The demo's worker runs its tasks in threads: on kombu's filesystem broker (no REDIS_URL) a
# prefork pool whose child dies wedges the whole worker; a thread pool has no child to lose.
# tests/e2e/test_demo_worker.py starts a worker with exactly these arguments.
DEMO_WORKER_POOL := --pool threads --concurrency 2

.PHONY: demo test bench lint fmt install install-dev migrate clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("Tunekeeper needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet .
	touch $@

$(VENV)/.installed-dev: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py sandbox_seed
	$(DEMO_ENV) $(PY) manage.py demo_admin
	@echo
	@echo "  Tunekeeper is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo "  Click 'Connect Spotify' and pick a sandbox user on the sandbox consent page."
	@echo
	@$(DEMO_ENV) sh -c 'trap "kill 0" INT TERM EXIT; \
		$(VENV)/bin/celery -A config worker -Q interactive,default,bulk $(DEMO_WORKER_POOL) --loglevel warning & \
		$(VENV)/bin/celery -A config beat --loglevel warning & \
		$(PY) manage.py runserver $(HOST):$(PORT)'

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install-dev
	$(PY) -m bench

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var $(VENV)
