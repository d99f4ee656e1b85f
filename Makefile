# Entry points for a fresh machine with python3 (3.11+), pip and make:
#   make demo   install, migrate, load the demo data and serve on http://127.0.0.1:8000
#   make test   install and run the whole test suite (SQLite unless DATABASE_URL is set)
#   make smoke  start the production set-up (gunicorn, PostgreSQL, Redis on 127.0.0.1) and check the main pages

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo demo-code test smoke install browser pango clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

install: $(INSTALLED)

demo: $(INSTALLED) pango
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py archive_process --limit 1000
	$(PY) manage.py demo_totp
	$(PY) manage.py runserver 127.0.0.1:8000

# The current two-factor code of the demo users (they share one published demo secret).
demo-code: $(INSTALLED)
	@$(PY) manage.py demo_totp

browser:
	@sh scripts/ensure-chromium.sh

pango:
	@sh scripts/ensure-pango.sh

# Two processes (pytest-xdist), one test file each at a time: the suite takes half the time on a
# two-core machine, and a file's module fixtures (a loaded demo, a started browser) are built once.
# `make test PARALLEL=` runs it in one process.
PARALLEL ?= -n 2 --dist loadfile

test: $(INSTALLED) browser pango
	$(PY) -m pytest $(PARALLEL) $(PYTEST_ARGS)

# deploy/README.md's production start against a throwaway database; prints SMOKE PASS or SMOKE FAIL.
smoke: $(INSTALLED) pango
	sh scripts/smoke-production.sh

clean:
	rm -rf $(VENV) var .pytest_cache
