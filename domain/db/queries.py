"""SQL of the database layer itself: WAL positions for the replication monitor."""

from sqlalchemy import text

PRIMARY_POSITION = text("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
REPLICA_POSITION = text("SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
