#!/usr/bin/env bash
# Run the whole suite: static checks, then pytest against a throwaway database on the local cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
V=.venv/bin
export HYDROMET_PGPORT="${HYDROMET_PGPORT:-55432}"
# Tests create (and drop) their own database from this server URL; see tests/conftest.py.
export HYDROMET_TEST_SERVER_URL="${HYDROMET_TEST_SERVER_URL:-postgresql+psycopg://postgres@127.0.0.1:${HYDROMET_PGPORT}/postgres}"

# bootstrap's with-db runs this script again with the cluster up, and stops the cluster at the end
# when it had to start it outside the project folder (the /var/tmp fallback)
if [ "${HYDROMET_TEST_WITH_DB:-}" != 1 ]; then
  HYDROMET_TEST_WITH_DB=1 HYDROMET_DB_NAME=postgres exec scripts/bootstrap.sh with-db "$0" "$@"
fi

echo "== ruff format"; $V/ruff format --check .
echo "== ruff check"; $V/ruff check .
echo "== mypy"; $V/mypy
echo "== import-linter"; $V/lint-imports
echo "== pytest"
exec $V/pytest "$@"
