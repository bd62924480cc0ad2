# Two commands on a fresh machine: `make run` (the app) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
REPLICAS ?= 2

.PHONY: run serve test lint typecheck bench sample clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# numba compiles the Monte Carlo's loops once and caches them beside mrrsim/draws.py
$(VENV)/.compiled: $(VENV)/.runtime mrrsim/draws.py
	$(PY) -m mrrsim.draws
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.compiled
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Several replicas behind HAProxy (apt-get install haproxy), sticky sessions; Ctrl-C stops all.
serve: $(VENV)/.compiled
	PORT=$(PORT) deploy/serve.sh $(REPLICAS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.dev
	$(PY) -m mypy

test: $(VENV)/.dev $(VENV)/.compiled lint typecheck
	$(PY) -m pytest

bench: $(VENV)/.dev
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

sample: $(VENV)/.runtime   # rewrite data/sample-subscriptions.csv from its seeded generator
	$(PY) -m mrrsim.billing.sample

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
