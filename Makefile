# Two commands do all set-up on a fresh machine: `make demo` and `make test` (each installs first).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Where a CPU build of torch lies on local disk (as on our CI machines), install it rather than letting
# pip pull the multi-GB CUDA build; elsewhere the ordinary `torch>=2.3` from pyproject is installed.
TORCH_CPU_WHEEL := $(firstword $(wildcard /opt/wheels/torch-2.13.0+cpu-cp311-*.whl))

.PHONY: install demo test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=68" wheel
ifneq ($(TORCH_CPU_WHEEL),)
	$(PY) -m pip install -q "torch==2.13.0"
endif
	$(PY) -m pip install -q -e ".[dev,distributed,multiagent]"
	$(VENV)/bin/boltzgym warmup
	@touch $(STAMP)

demo: install
	$(VENV)/bin/boltzgym demo --out runs/demo --overwrite

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PY) -m pytest -q

bench: install
	$(PY) -m pip install -q -e ".[dev,bench]"
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info runs .pytest_cache .ruff_cache
