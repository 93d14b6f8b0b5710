#!/bin/sh
# The standby of compose.yaml: on the first start copy the primary (pg_basebackup -R), then run it.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -U hydromet; do sleep 1; done
  pg_basebackup -h db -U hydromet -D "$PGDATA" -R -X stream -c fast
  echo "hot_standby_feedback = on" >> "$PGDATA/postgresql.auto.conf"
  chmod 700 "$PGDATA"
fi
exec postgres -D "$PGDATA"
