# Two commands on a fresh clone: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ADDR   ?= 127.0.0.1:8000

.PHONY: run test lint bench venv dev-venv clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev

run: venv
	$(PY) manage.py migrate --noinput
	@echo "Open http://$(ADDR)/signup/ to create an account (or http://$(ADDR)/signin/ to sign in)."
	$(PY) manage.py runserver $(ADDR)

lint: dev-venv
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: dev-venv
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
