#!/usr/bin/env bash
# A PostgreSQL hot standby of a running cluster, by streaming replication (pg_basebackup -R).
# Usage:
#   scripts/replica.sh create  FROM_PORT PORT DATA   copy the cluster on 127.0.0.1:FROM_PORT into DATA
#                                                      and start it as a hot standby on 127.0.0.1:PORT
#   scripts/replica.sh start   DATA | stop DATA [fast|immediate] | promote DATA | status DATA
#   scripts/replica.sh remove  DATA                   stop it and delete DATA
# The primary must accept replication connections from 127.0.0.1 (scripts/bootstrap.sh configures
# the project's cluster so). As root the cluster runs as the postgres user, like the project's.
set -euo pipefail
PGBIN="${HYDROMET_PGBIN:-/usr/lib/postgresql/15/bin}"

log() { printf '\033[1m[replica]\033[0m %s\n' "$*" >&2; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

create() {
  local from_port="$1" port="$2" data="$3"
  [ -e "$data/PG_VERSION" ] && { log "$data already holds a cluster"; exit 1; }
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
  chmod 700 "$data"
  log "copying the cluster on 127.0.0.1:$from_port into $data"
  # -R writes standby.signal and primary_conninfo; -X stream keeps the WAL made during the copy
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$from_port" -U postgres -D "$data" -R -X stream -c fast \
    --no-sync
  # settings of the copy: its own port and socket; feedback so that the primary's vacuum never
  # cancels a read running on the standby
  as_pg tee -a "$data/postgresql.auto.conf" >/dev/null <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
hot_standby = on
hot_standby_feedback = on
shared_buffers = 128MB
CONF
  start "$data"
}

start() {
  local data="$1"
  as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
  log "standby in $data is up"
}

stop() {
  as_pg "$PGBIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null
}

promote() {
  as_pg "$PGBIN/pg_ctl" -D "$1" -w -t 60 promote >/dev/null
  log "standby in $1 promoted to primary"
}

remove() {
  stop "$1" immediate 2>/dev/null || true
  rm -rf "$1"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  create) [ $# -eq 3 ] || { echo "usage: $0 create FROM_PORT PORT DATA" >&2; exit 2; }; create "$@" ;;
  start|promote|remove) [ $# -eq 1 ] || { echo "usage: $0 $cmd DATA" >&2; exit 2; }; "$cmd" "$1" ;;
  stop) stop "$@" ;;
  status) as_pg "$PGBIN/pg_ctl" -D "$1" status ;;
  *) echo "usage: $0 create|start|stop|promote|status|remove ..." >&2; exit 2 ;;
esac
