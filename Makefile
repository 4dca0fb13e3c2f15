# Two commands: `make run` serves the app, `make test` runs every test. Both build .venv
# from the pinned requirements.lock first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
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

# The production front: nginx (when installed) serves the static files pre-compressed and
# proxies to Streamlit on a loopback port; without nginx Streamlit serves directly.
run: migrate
	$(PY) -m servicetjek.front --port $(PORT) --address 0.0.0.0

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
