# Two commands on a fresh clone: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ADDR   ?= 127.0.0.1:8000

.PHONY: run test lint bench bench-scale venv dev-venv clean screenshots

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Benchmark-only packages (moto's server), constrained to the dev pins so that boto3/botocore do not move.
$(VENV)/.bench: $(VENV)/.dev bench/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements-dev.txt -r bench/requirements.txt
	$(PY) -m pip check
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

bench: $(VENV)/.bench
	$(PY) bench/engine.py
	$(PY) bench/query_api.py

# At 5,000 users (issues 9 and 10; a few minutes each): reads' server cost, a mixed load on 2 workers,
# the access matrix, the audit export.
bench-scale: $(VENV)/.bench
	$(PY) bench/scale.py
	$(PY) bench/load.py
	$(PY) bench/access_matrix.py
	$(PY) bench/audit_export.py

# The README's console screenshots, saved by the browser walkthrough (needs Chromium, as the browser tests do).
screenshots: dev-venv
	IAM_PORTAL_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/browser/test_walkthrough.py -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
