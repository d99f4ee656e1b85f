#!/bin/sh
# `make smoke`: start the production set-up (gunicorn with deploy/gunicorn.conf.py, PostgreSQL and
# Redis on 127.0.0.1) on a fresh database with the demo data and walk the main pages.
# scripts/smoke_production.py says what is checked and which variables point elsewhere.
set -e
cd "$(dirname "$0")/.."
exec "${RSPORTAL_SMOKE_PYTHON:-.venv/bin/python}" scripts/smoke_production.py
