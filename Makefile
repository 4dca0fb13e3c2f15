# Two commands: `make run` serves the app, `make test` runs every test. Both build .venv
# from requirements-dev.lock (runtime + test tools, every file checked against its hash).
# `make lock` rewrites both lock files from requirements.in / requirements-dev.in with uv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
export SERVICETJEK_DB ?= data/servicetjek.duckdb

.PHONY: run test demo lint bench setup migrate lock

$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	touch $@

# Runtime lock first; the dev lock is held to the runtime lock's versions.
UV_COMPILE := $(PY) -m uv pip compile -q --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock"
lock: setup
	$(UV_COMPILE) requirements.in -o requirements.lock
	$(UV_COMPILE) -c requirements.lock requirements-dev.in -o requirements-dev.lock

setup: $(VENV)/.installed

migrate: setup
	$(PY) -m servicetjek.cli migrate

run: migrate
	$(PY) -m servicetjek.ui.serve --server.port $(PORT) --server.address 0.0.0.0

demo: setup
	SERVICETJEK_DB=data/demo.duckdb $(PY) -m servicetjek.demo --reset --base-url http://localhost:$(PORT)
	SERVICETJEK_DB=data/demo.duckdb $(PY) -m servicetjek.ui.serve --server.port $(PORT)

lint: setup
	$(PY) -m ruff check .

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/burst.py
