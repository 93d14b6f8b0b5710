"""The station import's staging in SQL: COPY into a staging table, then match and check (plan and write: plan_queries.py).

Temp tables live until the transaction ends (ON COMMIT DROP); a dry run rolls them back with the rest.
import_stage   one row per clean file row (STAGE_FIELDS); `given` = the bits of the fields it sets
import_target  the station each row updates: by national code, else by its first WIGOS id held
import_plan    the rows that create or change a station, with every final column value and the
               state before the change
import_point, import_inside, import_offshore, import_nearest -> import_province
               the province of each row placed at a new point, by the station service's rule
"""

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from domain.imports.staging import STAGE_FIELDS
from domain.zone.models import ZONE_EDIT_LOCK

_TYPES = {
    "line": "integer", "lon": "double precision", "lat": "double precision",
    "elevation_m": "double precision", "station_types": "text[]", "wigos_ids": "text[]",
    "variables": "jsonb", "given": "integer", "established_date": "date", "programmes": "text[]",
}  # fmt: skip
_STAGE_COLUMNS = ", ".join(f"{name} {_TYPES.get(name, 'text')}" for name in STAGE_FIELDS)

RESET = text(
    "DROP TABLE IF EXISTS import_stage, import_target, import_plan, import_point, import_inside,"
    " import_offshore, import_nearest, import_province_part, import_province"
)
HOLD_ZONES = text("SELECT pg_advisory_xact_lock_shared(:k1, :k2)")  # domain.zone.models.ZONE_EDIT_LOCK
# Long statements are expected; JIT is not worth it here (it compiled for seconds, to save milliseconds).
LONG_STATEMENTS = text("SELECT set_config('statement_timeout', :ms, true), set_config('jit', 'off', true)")
# Statistics far behind the table (a bulk import an instant ago, or one rolled back after autovacuum
# sampled it mid-way) make the planner take a big station table for an empty one and join it by
# nested loops: an update of 10k rows ran for minutes. Analyze first when autovacuum has not caught up.
STALE_TABLES = text("""
SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relid IN ('station'::regclass, 'station_wigos_id'::regclass)
  AND s.n_mod_since_analyze > 1000 + 0.1 * greatest(c.reltuples, 0)
""")
ANALYZE = {"station": text("ANALYZE station"), "station_wigos_id": text("ANALYZE station_wigos_id")}
CREATE_STAGE = text(f"CREATE TEMP TABLE import_stage ({_STAGE_COLUMNS}) ON COMMIT DROP")
COPY_STAGE = f"COPY import_stage ({', '.join(STAGE_FIELDS)}) FROM STDIN"
ANALYZE_STAGE = text("ANALYZE import_stage (line, national_code)")  # the join keys; all columns cost more
DROP_LINES = text("DELETE FROM import_stage WHERE line = ANY(:lines)")

# The station of each row: its national code's, else the holder of its first WIGOS id that is held.
MATCH = text("""
CREATE TEMP TABLE import_target ON COMMIT DROP AS
SELECT c.line, coalesce(s.id, (
    SELECT h.station_id FROM unnest(c.wigos_ids) WITH ORDINALITY AS u(wsi, n)
    JOIN station_wigos_id h ON h.wsi = u.wsi ORDER BY u.n LIMIT 1)) AS station_id
FROM import_stage c LEFT JOIN station s ON s.national_code = c.national_code
""")
# Lock in id order (two imports never deadlock); single-station writers take one row lock each.
LOCK_TARGETS = text("""
SELECT count(*) FROM (
    SELECT 1 FROM station s WHERE s.id IN (SELECT station_id FROM import_target)
    ORDER BY s.id FOR NO KEY UPDATE OF s) AS locked
""")

# Rows the database refuses, as (line, field, value, reason). :editor is NULL for an admin.
ROW_ERRORS = text("""
SELECT c.line, 'wigos_ids', u.wsi,
       format('WIGOS identifier %s is already held by station %s', u.wsi, o.national_code)
FROM import_stage c JOIN import_target t USING (line)
CROSS JOIN LATERAL unnest(c.wigos_ids) AS u(wsi)
JOIN station_wigos_id h ON h.wsi = u.wsi JOIN station o ON o.id = h.station_id
WHERE h.station_id IS DISTINCT FROM t.station_id
UNION ALL
SELECT c.line, 'wigos_ids', u.wsi, format('WIGOS identifier %s was issued to another station: never reused', u.wsi)
FROM import_stage c JOIN import_target t USING (line) CROSS JOIN LATERAL unnest(c.wigos_ids) AS u(wsi)
JOIN wigos_issued_id l ON l.wsi = u.wsi
WHERE l.station_id IS DISTINCT FROM t.station_id AND NOT EXISTS (SELECT 1 FROM station_wigos_id h WHERE h.wsi = u.wsi)
UNION ALL
SELECT c.line, 'national_code', c.national_code,
       format('matches station %s, as %s %s does: give each station one row', s.national_code,
              CAST(:unit AS text), t.first_line)
FROM (SELECT line, station_id, min(line) OVER (PARTITION BY station_id) AS first_line
      FROM import_target WHERE station_id IS NOT NULL) t
JOIN import_stage c USING (line) JOIN station s ON s.id = t.station_id
WHERE t.line > t.first_line
UNION ALL
SELECT c.line, 'national_code', c.national_code,
       format('station %s is owned by %s: an editor of %s may change only its own organization''s stations',
              s.national_code, s.owner, CAST(:editor AS text))
FROM import_stage c JOIN import_target t USING (line) JOIN station s ON s.id = t.station_id
WHERE s.owner <> CAST(:editor AS text)
UNION ALL
SELECT c.line, r.field, r.code,
       format('unknown organization %s: register it first (POST /api/v1/organizations)', r.code)
FROM import_stage c CROSS JOIN LATERAL (VALUES ('owner', c.owner), ('operator', c.operator)) AS r(field, code)
WHERE r.code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organization o WHERE o.code = r.code)
UNION ALL
SELECT c.line, 'owner', '',
       'required for a new station: name the owner organization (an owner column, or ?owner= / --owner)'
FROM import_stage c JOIN import_target t USING (line)
WHERE t.station_id IS NULL AND c.owner IS NULL AND CAST(:default_owner AS text) IS NULL
""")


def begin_import(session: Session, *, statement_timeout_ms: int) -> None:
    """Drop leftovers of an earlier import in this transaction, allow long statements, freshen statistics.

    Zone edits are held off first (before any station row lock), as for every station write.
    """
    session.execute(HOLD_ZONES, dict(zip(("k1", "k2"), ZONE_EDIT_LOCK, strict=True)))
    session.execute(RESET)
    session.execute(LONG_STATEMENTS, {"ms": str(statement_timeout_ms)})
    for (table,) in session.execute(STALE_TABLES).all():
        session.execute(ANALYZE[str(table)])


def copy_stage(session: Session, records: list[tuple[Any, ...]]) -> None:
    """Create the staging table and COPY the records into it (through the session's connection)."""
    session.execute(CREATE_STAGE)
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(COPY_STAGE) as copy:
        for record in records:
            copy.write_row(record)
    session.execute(ANALYZE_STAGE)


def match_stations(session: Session) -> None:
    """Find the station each staged row updates, and lock those stations until the transaction ends."""
    session.execute(MATCH)
    session.execute(LOCK_TARGETS)


# Rows that may only update (a WMDR capability naming its facility by WSI) and match no station.
UNMATCHED = text("""
SELECT c.line, coalesce(c.wigos_ids[1], '') FROM import_stage c JOIN import_target t USING (line)
WHERE t.station_id IS NULL AND c.line = ANY(:lines)
""")


def select_unmatched(session: Session, lines: list[int]) -> list[tuple[int, str]]:
    """Return (line, first WSI) of the update-only rows that match no station."""
    if not lines:
        return []
    return [(int(r[0]), str(r[1])) for r in session.execute(UNMATCHED, {"lines": lines})]


def select_row_errors(
    session: Session, *, editor: str | None, default_owner: str | None, unit: str
) -> list[tuple[int, str, str, str]]:
    """Return (line, field, value, reason) of rows that conflict with the registry."""
    params = {"editor": editor, "default_owner": default_owner, "unit": unit}
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in session.execute(ROW_ERRORS, params)]


def drop_lines(session: Session, lines: list[int]) -> None:
    """Remove rows from the staging table (rows with errors are neither planned nor counted)."""
    if lines:
        session.execute(DROP_LINES, {"lines": lines})
