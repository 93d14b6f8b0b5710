"""The station table's physical order: the rows of one area on neighbouring pages (`hydromet db reorder`)."""

import time
from dataclasses import dataclass

from sqlmodel import Session

from domain.station import queries


@dataclass(frozen=True)
class ReorderReport:
    """What a reorder did: rows kept, sizes in bytes after, and how long it held the table."""

    stations: int
    table_bytes: int
    index_bytes: int
    seconds: float


def reorder_stations(session: Session, *, lock_timeout_ms: int) -> ReorderReport:
    """Rewrite the station table in the order of its spatial index (CLUSTER), then VACUUM ANALYZE it.

    The session must be in autocommit. Reads and writes of `station` wait while it runs (an ACCESS
    EXCLUSIVE lock; about 25 s at 1M stations); new rows are appended after it, so run it again when
    many have been added or moved (bench/RESULTS.md, bbox page at 1M).
    """
    started = time.perf_counter()
    queries.cluster_station_table(session, lock_timeout_ms=lock_timeout_ms)
    seconds = time.perf_counter() - started
    stations, table, indexes = queries.select_storage_facts(session)
    return ReorderReport(stations, table, indexes, seconds)
