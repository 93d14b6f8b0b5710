# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
PGPORT ?= 55432
export HYDROMET_PGPORT := $(PGPORT)
LOCAL_DB_URL := postgresql+psycopg://postgres@127.0.0.1:$(PGPORT)/hydromet
VENV := .venv/bin

.PHONY: run test setup db lint format bench stop-db clean

# `make run` installs only what running needs; `make test` and `make bench` add their own packages
setup:
	@scripts/bootstrap.sh all run

run: setup
	@export HYDROMET_DATABASE_URL="$${HYDROMET_DATABASE_URL:-$(LOCAL_DB_URL)}"; \
	$(VENV)/hydromet migrate && $(VENV)/hydromet seed && $(VENV)/hydromet keys dev-admin && \
	$(VENV)/hydromet keys dev-reviewer && \
	exec $(VENV)/hydromet serve

test:
	@scripts/bootstrap.sh all test
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
bench:
	@scripts/bootstrap.sh all bench
	$(VENV)/python -m bench.bench_stations
