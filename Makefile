# Two commands: `make run` serves the app, `make test` runs every test. Both build .venv
# from the pinned requirements.lock first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Loopback unless told otherwise: a fresh instance must not be reachable by everyone
# (put an HTTPS proxy in front, or `make run HOST=0.0.0.0` deliberately).
HOST ?= 127.0.0.1
export SERVICETJEK_DB ?= data/servicetjek.duckdb

.PHONY: run test demo lint bench setup migrate

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(PY) -m servicetjek.cli migrate

run: migrate
	$(PY) -m servicetjek.ui.serve --server.port $(PORT) --server.address $(HOST)

demo: setup
	SERVICETJEK_DB=data/demo.duckdb $(PY) -m servicetjek.demo --reset
	SERVICETJEK_DB=data/demo.duckdb $(PY) -m servicetjek.ui.serve --server.port $(PORT)

lint: setup
	$(PY) -m ruff check .

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/burst.py
