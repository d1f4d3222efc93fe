# Two commands on a fresh clone:  `make serve`  and  `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup models test-models serve test lint bench binary clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

# the venv, then the system programs the tests need (chromium, npm, openssl): installed with
# apt-get when root or password-less sudo allows, else named in one line (scripts/setup_system.sh).
# `serve` needs only the venv and the models.
setup: $(STAMP)
	bash scripts/setup_system.sh

# The default models of models/manifest.toml into the data dir that `serve` uses
# (./noxus-data, $NOXUS_DATA_DIR or the CONFIG's), through the download cache
# ($NOXUS_MODEL_CACHE, default ~/.cache/noxus-local/models) that the tests reuse.
# Offline, the server still starts: the tools that need a missing model say so.
models: $(STAMP)
	$(VENV)/bin/noxus-local models fetch --default $(if $(CONFIG),--config $(CONFIG),) || \
	  echo "note: default models not fetched; the tools that need them report tool_unavailable"

serve: $(STAMP) models
	$(VENV)/bin/noxus-local serve $(if $(CONFIG),--config $(CONFIG),)

# The text models (1.1 GB + 0.5 GB of GGUF parts, converted once per cache) and the background-removal
# model (88 MB) are not defaults, but the tests run them: fetched here so a test never skips for want of one.
TEST_MODELS := qwen2.5-coder-0.5b-instruct qwen2.5-coder-1.5b-instruct isnet-general

test-models: setup
	$(VENV)/bin/noxus-local models fetch $(TEST_MODELS) $(if $(CONFIG),--config $(CONFIG),)

test: setup models test-models
	$(VENV)/bin/ruff check noxus_local tests scripts
	$(VENV)/bin/pytest

bench: setup
	$(VENV)/bin/python scripts/bench/bench_ping.py
	$(VENV)/bin/python scripts/bench/bench_tools.py

# FLAVOUR=cpu|gpu MODE=onefile|onedir; the binary lands in dist/$(FLAVOUR)-$(MODE)/
FLAVOUR ?= cpu
MODE ?= onefile
binary:
	bash scripts/build_binary.sh --flavour $(FLAVOUR) --mode $(MODE)

clean:
	rm -rf $(VENV) build dist *.egg-info
