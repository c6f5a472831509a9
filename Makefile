# Every target bootstraps the virtual environment it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test chaos bench load lint format clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

demo: $(VENV)/.installed  ## both sites, a workload, a summary
	$(PY) -m tools.demo

test: $(VENV)/.installed  ## the whole test suite
	$(PY) -m pytest

chaos: $(VENV)/.installed  ## the long fault-injection run, 20 seeds
	$(PY) -m tools.chaos --seeds 20

bench: $(VENV)/.installed  ## speed, as ratios to bare ZeroMQ
	$(PY) -m tools.bench

load: $(VENV)/.installed  ## the course's experiment; pass options in ARGS="..."
	$(PY) tools/load.py $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) data run results
