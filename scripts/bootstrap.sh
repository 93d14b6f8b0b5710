#!/usr/bin/env bash
# Prepare a machine for the registry: Debian packages, .venv, a project-local PostgreSQL cluster.
# Usage: scripts/bootstrap.sh [packages|venv|db|all]   (idempotent; safe to run again)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PGBIN="${HYDROMET_PGBIN:-/usr/lib/postgresql/15/bin}"
PGPORT="${HYDROMET_PGPORT:-55432}"

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

wanted_packages() { cat scripts/apt/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u; }

ensure_packages() {
  local missing=()
  for p in $(wanted_packages); do
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
CONF
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PGPORT"
    as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
  fi
  echo "$data" > "$ROOT/.data/pgdata-path"
  local db="${HYDROMET_DB_NAME:-hydromet}"
  if ! psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    log "creating database $db"
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "create database $db" >/dev/null
  fi
}

stop_db() {
  local data; data="$(pgdata_dir)"
  as_pg "$PGBIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-all}" in
  packages) ensure_packages ;;
  venv) ensure_venv ;;
  db) if [ -z "${HYDROMET_DATABASE_URL:-}" ]; then ensure_packages; ensure_db; fi ;;
  stop-db) stop_db ;;
  all) ensure_packages; ensure_venv; if [ -z "${HYDROMET_DATABASE_URL:-}" ]; then ensure_db; fi ;;
  *) echo "usage: $0 [packages|venv|db|stop-db|all]" >&2; exit 2 ;;
esac
