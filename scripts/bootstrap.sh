#!/usr/bin/env bash
# Prepare a machine for the registry: Debian packages, .venv, a project-local PostgreSQL cluster.
# Usage: scripts/bootstrap.sh [packages|list|all] [run|test|bench]   packages for that purpose
#        scripts/bootstrap.sh venv|db|stop-db|pgdata
#        scripts/bootstrap.sh with-db COMMAND...   run COMMAND with the cluster up; stop it afterwards
#                                                  when this started it outside the project folder
# Idempotent; safe to run again. Each scripts/apt/*.txt says on its first line which purposes need it
# ("# for: run test bench"): `make run` installs only what running needs, `make test` and `make bench` more.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PGBIN="${HYDROMET_PGBIN:-/usr/lib/postgresql/15/bin}"
PGPORT="${HYDROMET_PGPORT:-55432}"

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

# The package lists a purpose (run, test or bench) needs, by their "# for:" line.
package_lists() {
  local purpose="$1" f
  case "$purpose" in run|test|bench) ;; *) echo "unknown purpose '$purpose' (run, test or bench)" >&2; exit 2 ;; esac
  for f in scripts/apt/*.txt; do
    if head -1 "$f" | grep -Eq "^# for:.*\b$purpose\b"; then echo "$f"; fi
  done
}

wanted_packages() {
  local lists; lists="$(package_lists "$1")"
  [ -z "$lists" ] && return 0
  # shellcheck disable=SC2086
  cat $lists | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u
}

ensure_packages() {
  local missing=() p
  for p in $(wanted_packages "${1:-run}"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  local stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv
  fi
  if [ ! -f "$stamp" ]; then
    log "installing Python dependencies into .venv (first time takes a minute)"
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -e '.[dev]'
    rm -f .venv/.installed-*; touch "$stamp"
  fi
  ensure_ogctests_venv
}

# The public ogctests suite pins httpx < 0.28 (and more) under the registry's own versions, so it gets
# a virtual environment of its own; its version is the `conformance` extra of pyproject.toml.
ensure_ogctests_venv() {
  local want; want=$(python3 -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['conformance']))")
  local stamp=".venv-ogctests/.installed-$(echo "$want" | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    log "installing $want into .venv-ogctests"
    [ -x .venv-ogctests/bin/python ] || python3 -m venv .venv-ogctests
    .venv-ogctests/bin/pip install -q $want
    rm -f .venv-ogctests/.installed-*; touch "$stamp"
  fi
}

# The cluster lives in .data/pg when the postgres user can reach it, else in /var/tmp.
pgdata_dir() {
  if [ -n "${HYDROMET_PGDATA:-}" ]; then echo "$HYDROMET_PGDATA"; return; fi
  mkdir -p "$ROOT/.data"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$ROOT/.data" 2>/dev/null; then
    echo "$ROOT/.data/pg"
  else
    echo "/var/tmp/hydromet-pg-$(echo "$ROOT" | sha1sum | cut -c1-10)"
  fi
}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

ensure_db() {
  local data; data="$(pgdata_dir)"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating the PostgreSQL cluster in $data (port $PGPORT)"
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    chmod 700 "$data"
    as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 1GB
work_mem = 32MB
maintenance_work_mem = 512MB
# streaming replication, for hot standbys made by scripts/replica.sh (pg_basebackup -R)
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
hot_standby = on
CONF
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PGPORT"
    as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
  fi
  echo "$data" > "$ROOT/.data/pgdata-path"
  ensure_replication "$data"
  local db="${HYDROMET_DB_NAME:-hydromet}"
  if ! psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    log "creating database $db"
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "create database $db" >/dev/null
  fi
}

# Clusters made before replicas were supported: allow replication connections from 127.0.0.1.
ensure_replication() {
  local data="$1"
  if ! as_pg grep -Eq '^host[[:space:]]+replication[[:space:]].*127\.0\.0\.1' "$data/pg_hba.conf"; then
    log "allowing replication connections from 127.0.0.1 (for hot standbys)"
    echo "host    replication     all             127.0.0.1/32            trust" | as_pg tee -a "$data/pg_hba.conf" >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$data" reload >/dev/null
  fi
  if [ "$(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc 'show wal_level')" = "minimal" ]; then
    log "wal_level is minimal: setting it to replica and restarting PostgreSQL"
    echo "wal_level = replica" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    echo "max_wal_senders = 10" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 restart >/dev/null
  fi
}

stop_db() {
  local data; data="$(pgdata_dir)"
  as_pg "$PGBIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}

db_running() { [ -f "$1/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# Run a command with the cluster up. A cluster this started outside the project folder (the /var/tmp
# fallback, or HYDROMET_PGDATA elsewhere) is stopped when the command ends, however it ends: deleting
# the clone must not leave a PostgreSQL running. One that was already running, or lives in .data/, stays.
with_db() {
  local data; data="$(pgdata_dir)"
  if [ -z "${HYDROMET_DATABASE_URL:-}" ] && ! db_running "$data" && [ "${data#"$ROOT"/}" = "$data" ]; then
    trap "set +e; log 'stopping the PostgreSQL cluster in $data (outside the project folder)'; stop_db" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
  fi
  if [ -z "${HYDROMET_DATABASE_URL:-}" ]; then ensure_packages run; ensure_db; fi
  "$@"  # not exec: the trap must run when the command ends
}

case "${1:-all}" in
  packages) ensure_packages "${2:-run}" ;;
  list) wanted_packages "${2:-run}" ;;
  venv) ensure_venv ;;
  db) if [ -z "${HYDROMET_DATABASE_URL:-}" ]; then ensure_packages run; ensure_db; fi ;;
  stop-db) stop_db ;;
  pgdata) pgdata_dir ;;
  with-db) shift; with_db "$@" ;;
  all) ensure_packages "${2:-run}"; ensure_venv; if [ -z "${HYDROMET_DATABASE_URL:-}" ]; then ensure_db; fi ;;
  *) echo "usage: $0 [packages|list|all] [run|test|bench] | venv | db | stop-db | pgdata | with-db COMMAND..." >&2; exit 2 ;;
esac
