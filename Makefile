# Two commands do all set-up on a fresh machine: `make demo` and `make test` (each installs first).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Where a CPU build of torch lies on local disk (as on our CI machines), install it rather than letting
# pip pull the multi-GB CUDA build; elsewhere the ordinary `torch>=2.3` from pyproject is installed.
TORCH_CPU_WHEEL := $(firstword $(wildcard /opt/wheels/torch-2.13.0+cpu-cp311-*.whl))

.PHONY: install browser demo test lint format bench docs docs-serve docs-figures clean

# numba keys a cached kernel on its own source file only: a kernel that calls jitted code of another module keeps
# the old machine code when only that module changed (after a `git pull`, say). Any change to a module with jitted
# code therefore clears every numba cache of the checkout and compiles the kernels again (about 1.5 min).
NUMBA_SOURCES := $(wildcard */_*kernels.py */*/_*kernels.py utils/rng.py agents/schedules.py)
NUMBA_STAMP := $(VENV)/.numba-stamp

install: $(STAMP) $(NUMBA_STAMP)

$(NUMBA_STAMP): $(NUMBA_SOURCES) $(STAMP)
	@find agents envs models sims utils \( -name '*.nbi' -o -name '*.nbc' \) -delete
	$(VENV)/bin/boltzgym warmup
	@touch $@

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=68" wheel
ifneq ($(TORCH_CPU_WHEEL),)
	$(PY) -m pip install -q "torch==2.13.0"
endif
	$(PY) -m pip install -q -e ".[dev,distributed,multiagent,tensorboard]"
	@$(MAKE) --no-print-directory browser
	@touch $(STAMP)

# Headless Chromium for the docs' browser test (tests/docs), from Debian's packages: installed with apt-get where
# this runs as root; elsewhere the test is skipped and says why. No browser is downloaded from anywhere else.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "make: could not install chromium; the docs' browser test will be skipped"; \
	else echo "make: no chromium and no root for apt-get; the docs' browser test will be skipped"; fi

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

# The documentation site (mkdocs.yml, docs/): built into site/ with --strict (a broken link or reference fails).
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

# Rerun every experiment at its documented settings and write docs/results/ (figures, tables, README tour).
# FIGURES_ARGS=--quick runs the reduced settings; FIGURES_ARGS="--only tour,parity" some of them.
docs-figures: install
	$(PY) docs/figures.py $(FIGURES_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info runs site .pytest_cache .ruff_cache
