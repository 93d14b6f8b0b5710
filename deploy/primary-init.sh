#!/bin/sh
# Run once by the postgis image when the primary's data folder is created: let the standby replicate.
set -e
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
