# gate: two commands for a fresh machine (`make run`, `make test`), and the rest.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
EXT_SUFFIX := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
NATIVE_SO := gate/table/_gtable$(EXT_SUFFIX)
NATIVE_SRC := native/table.c native/table.h native/table.cdef native/build.py
CONFIG ?= configs/gate.toml
FUZZ_SECONDS ?= 20

.PHONY: run test test-fast test-packages bench lint native fuzz clean

run: $(INSTALLED) $(NATIVE_SO)
	$(PY) -m gate serve --config $(CONFIG)

test: test-packages $(INSTALLED) $(NATIVE_SO)
	$(PY) -m pytest

# Chromium and its driver for the page's browser tests, Mosquitto for the MQTT tests: pip
# cannot install them.
test-packages:
	@scripts/system-packages test

# The edit loop: everything but the slow tests (processes, the browser, fuzzing).
test-fast: $(INSTALLED) $(NATIVE_SO)
	$(PY) -m pytest -m "not slow"

bench: $(INSTALLED) $(NATIVE_SO)
	$(PY) -m tests.bench

lint: $(INSTALLED) $(NATIVE_SO)
	$(VENV)/bin/ruff check gate tests native
	$(VENV)/bin/ruff format --check gate tests native
	$(VENV)/bin/mypy

native: $(NATIVE_SO)

fuzz: build/fuzz_table
	./build/fuzz_table $(FUZZ_SECONDS)

$(VENV)/bin/python:
	@scripts/system-packages build
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Rebuilt only when native/ changes.
$(NATIVE_SO): $(NATIVE_SRC) | $(INSTALLED)
	$(PY) native/build.py

build/fuzz_table: native/table.c native/table.h native/fuzz_table.c
	mkdir -p build
	gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -Inative native/table.c native/fuzz_table.c -o $@

clean:
	rm -rf build $(VENV) gate/table/_gtable*.so var .pytest_cache .mypy_cache .ruff_cache .hypothesis
