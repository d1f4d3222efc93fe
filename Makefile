# Two commands on a fresh clone:  `make serve`  and  `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

serve: setup
	$(VENV)/bin/noxus-local serve $(if $(CONFIG),--config $(CONFIG),)

test: setup
	$(VENV)/bin/ruff check noxus_local tests scripts
	$(VENV)/bin/pytest -q

bench: setup
	$(VENV)/bin/python scripts/bench/bench_ping.py
	$(VENV)/bin/python scripts/bench/bench_tools.py

clean:
	rm -rf $(VENV) build *.egg-info
