# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
PGPORT ?= 55432
export HYDROMET_PGPORT := $(PGPORT)
LOCAL_DB_URL := postgresql+psycopg://postgres@127.0.0.1:$(PGPORT)/hydromet
VENV := .venv/bin

.PHONY: run test setup db lint format bench stop-db clean

setup:
	@scripts/bootstrap.sh all

run: setup
	@export HYDROMET_DATABASE_URL="$${HYDROMET_DATABASE_URL:-$(LOCAL_DB_URL)}"; \
	$(VENV)/hydromet migrate && $(VENV)/hydromet seed && $(VENV)/hydromet keys dev-admin && \
	$(VENV)/hydromet keys dev-reviewer && \
	exec $(VENV)/hydromet serve

test: setup
	@scripts/test.sh

lint:
	$(VENV)/ruff format --check . && $(VENV)/ruff check . && $(VENV)/mypy && $(VENV)/lint-imports

format:
	$(VENV)/ruff format . && $(VENV)/ruff check --fix .

stop-db:
	@scripts/bootstrap.sh stop-db

clean: stop-db
	rm -rf .venv .data

# Benchmarks (not part of the test run; results go to bench/RESULTS.md)
bench: setup
	$(VENV)/python -m bench.bench_stations
