"""The station import's plan and write in SQL: the province of each moved row, every creation and
change with its state, then the stations, WIGOS ids and revisions written (temp tables: see queries.py)."""

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from domain.imports.staging import GIVEN_BITS
from domain.station.rules import ARCHIPELAGO_PROVINCES, TERRITORY_VIET_NAM, WMO_REGION_VIET_NAM

_POINT = "ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326)"


def _archipelago(lon: str, lat: str) -> str:
    cases = " ".join(
        f"WHEN {lon} BETWEEN {x0} AND {x1} AND {lat} BETWEEN {y0} AND {y1} THEN '{code}'"
        for (x0, y0, x1, y1), code in ARCHIPELAGO_PROVINCES
    )
    return f"CASE {cases} END"


# The station service's province rule, set-based, for the rows placed at a new point: the archipelago
# district, else the province containing the point, else the nearest one within :offshore_m. Each step
# makes a new narrow table (updating rows in place cost more than the joins themselves). Polygons are
# the outer side of the spatial joins: PostGIS then reuses each polygon's prepared form (point in
# polygon) or geography tree (distance) for all the points near it, several times faster than a
# search per point.
POINTS = (
    text(f"""CREATE TEMP TABLE import_point ON COMMIT DROP AS
SELECT id, location, {_archipelago("ST_X(location)", "ST_Y(location)")} AS code FROM import_plan WHERE moved"""),
    text("CREATE INDEX ON import_point USING gist (location)"),
    text("""CREATE TEMP TABLE import_inside ON COMMIT DROP AS
SELECT DISTINCT ON (t.id) t.id, v.code FROM province v JOIN import_point t ON ST_Intersects(v.geom, t.location)
WHERE t.code IS NULL ORDER BY t.id, v.code"""),
    text("""CREATE TEMP TABLE import_offshore ON COMMIT DROP AS
SELECT t.id, t.location FROM import_point t
WHERE t.code IS NULL AND NOT EXISTS (SELECT 1 FROM import_inside i WHERE i.id = t.id)"""),
    text("CREATE TEMP TABLE import_nearest (id uuid, code text) ON COMMIT DROP"),
)
COUNT_OFFSHORE = text("SELECT count(*) FROM import_offshore")
NEAREST = (
    text("CREATE INDEX ON import_offshore USING gist (location)"),
    text("""CREATE TEMP TABLE import_province_part ON COMMIT DROP AS
SELECT code, geom, geom::geography AS geog FROM (SELECT code, ST_Subdivide(geom, 256) AS geom FROM province) p"""),
)
# The box around a part holds every point within :offshore_m of it (a degree of latitude is > 110 km).
NEAREST_INSERT = text(
    """INSERT INTO import_nearest
SELECT DISTINCT ON (c.id) c.id, v.code
FROM import_province_part v
JOIN LATERAL (
  SELECT c.id, c.location::geography AS geog FROM import_offshore c
  WHERE c.location && ST_Expand(v.geom, (:offshore_m / 110000.0) / cos(radians(least(
    greatest(abs(ST_YMin(v.geom)), abs(ST_YMax(v.geom))) + :offshore_m / 110000.0, 89))), :offshore_m / 110000.0)
) c ON ST_DWithin(v.geog, c.geog, :offshore_m)
ORDER BY c.id, ST_Distance(v.geog, c.geog)"""
)
PROVINCES = text("""
CREATE TEMP TABLE import_province ON COMMIT DROP AS
SELECT t.id, coalesce(t.code, i.code, n.code) AS code
FROM import_point t LEFT JOIN import_inside i ON i.id = t.id LEFT JOIN import_nearest n ON n.id = t.id
""")

_VARIABLES_KEY = """(SELECT coalesce(jsonb_agg(jsonb_build_array(v->>'name', v->'interval_min')
   ORDER BY v->>'name' COLLATE "C", (v->>'interval_min')::int NULLS FIRST), '[]') FROM jsonb_array_elements({}) v)"""
_TEXT_FIELDS = (
    "network",
    "legal_basis",
    "automation",
    "status",
    "owner",
    "operator",
    "data_policy",
    "river",
    "basin",
)
# When the row's value equals the station's (the same tolerances as rules.diff_station).
_SAME = {
    "national_code": "s.national_code = c.national_code",
    "name": "s.name = c.name",
    **{f: f"NULLIF(s.{f}, '') IS NOT DISTINCT FROM NULLIF(c.{f}, '')" for f in _TEXT_FIELDS},
    "station_types": "s.station_types::text[] @> c.station_types AND s.station_types::text[] <@ c.station_types",
    "wigos_ids": "s.wigos_ids::text[] = c.wigos_ids",
    "elevation_m": "(s.elevation_m IS NULL AND c.elevation_m IS NULL) OR abs(s.elevation_m - c.elevation_m) <= 1e-6",
    "variables": f"{_VARIABLES_KEY.format('s.variables')} = {_VARIABLES_KEY.format('c.variables')}",
    "location": "abs(ST_X(s.location) - c.lon) <= 1e-7 AND abs(ST_Y(s.location) - c.lat) <= 1e-7",
    "established_date": "s.established_date IS NOT DISTINCT FROM c.established_date",
    "programmes": "s.programmes::text[] = c.programmes",
}  # fmt: skip
_CREATE = {
    "status": "coalesce(c.status, 'operational')", "data_policy": "coalesce(c.data_policy, 'core')",
    "wigos_ids": "coalesce(c.wigos_ids, '{}')", "variables": "coalesce(c.variables, '[]')",
    "owner": "coalesce(c.owner, CAST(:default_owner AS text))", "programmes": "coalesce(c.programmes, '{}')",
}  # fmt: skip
_CURRENT = {
    "station_types": "s.station_types::text[]", "wigos_ids": "s.wigos_ids::text[]",
    "programmes": "s.programmes::text[]",
}  # fmt: skip
_WRITTEN = (
    "national_code", "name", *_TEXT_FIELDS, "station_types", "elevation_m", "wigos_ids", "variables",
    "established_date", "programmes",
)  # fmt: skip


def _given(field: str) -> str:
    return f"(c.given & {GIVEN_BITS[field]}) <> 0"


def _changes(field: str) -> str:
    return f"({_given(field)} AND NOT coalesce(({_SAME[field]}), false))"


def _final(field: str) -> str:
    create = _CREATE.get(field, f"c.{field}")
    current = _CURRENT.get(field, f"s.{field}")
    return f"CASE WHEN s.id IS NULL THEN {create} WHEN {_given(field)} THEN c.{field} ELSE {current} END"


def _stamp(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


_STATE_KEYS = (
    "id", "national_code", "name", "network", "legal_basis", "station_types", "automation", "status",
    "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "province", "river", "basin",
    "variables", "closed_date", "close_reason", "successor_id", "revision", "established_date", "programmes",
    "wmo_region", "territory",
)  # fmt: skip


def _state(alias: str) -> str:
    """Return SQL of the revision state of a station row: domain.station.service.snapshot, in SQL."""
    pairs = [f"'{key}', {alias}.{key}" for key in _STATE_KEYS] + [
        f"'location', ST_AsGeoJSON({alias}.location)::jsonb",
        f"'created_at', {_stamp(alias + '.created_at')}",
        f"'updated_at', {_stamp(alias + '.updated_at')}",
    ]
    return f"jsonb_build_object({', '.join(pairs)})"


_CODE = _final("national_code")
PLAN = text(f"""
CREATE TEMP TABLE import_plan ON COMMIT DROP AS
SELECT c.line, coalesce(s.id, gen_random_uuid()) AS id, s.id IS NULL AS is_new, d.wsis_changed, d.moved,
  {", ".join(f"{_final(f)} AS {f}" for f in _WRITTEN)},
  CASE WHEN c.name_fold IS NULL THEN s.search_text ELSE
  c.name_fold || ' ' || translate({_CODE}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
  END AS search_text,
  CASE WHEN d.moved THEN {_POINT} ELSE s.location END AS location,
  CASE WHEN d.moved THEN NULL ELSE s.province END AS province,
  CAST('{WMO_REGION_VIET_NAM}' AS text) AS wmo_region, CAST('{TERRITORY_VIET_NAM}' AS text) AS territory,
  CASE WHEN s.id IS NOT NULL AND {_final("status")} = 'closed' AND s.closed_date IS NULL
       THEN CAST(:today AS date) ELSE s.closed_date END AS closed_date,
  CASE WHEN s.id IS NOT NULL THEN {_state("s")} END AS before
FROM import_stage c JOIN import_target t USING (line) LEFT JOIN station s ON s.id = t.station_id
CROSS JOIN LATERAL (SELECT
  s.id IS NULL OR {_changes("location")} AS moved,
  s.id IS NULL OR ({_given("wigos_ids")} AND s.wigos_ids::text[] IS DISTINCT FROM c.wigos_ids)
    AS wsis_changed,
  s.id IS NULL OR {" OR ".join(_changes(f) for f in (*_WRITTEN, "location"))} AS changed) d
WHERE d.changed
""")
COUNT_PLAN = text("""
SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new), (SELECT count(*) FROM import_stage)
FROM import_plan
""")

_COLUMNS = (*_WRITTEN, "search_text", "location", "wmo_region", "territory")
_NEW_PROVINCE = "CASE WHEN p.moved THEN pv.code ELSE p.province END"
# the stored zone list (migration 0011), as domain.station.queries.zones_containing gives it
_ZONES = """(SELECT coalesce(array_agg(DISTINCT zp.zone_code), '{}') FROM priority_zone_part zp
  WHERE ST_Intersects(zp.geom, p.location))"""
UPDATE_STATIONS = text(f"""
UPDATE station s SET {", ".join(f"{c} = p.{c}" for c in _COLUMNS)}, province = {_NEW_PROVINCE},
  zones = CASE WHEN p.moved THEN {_ZONES} ELSE s.zones END,
  closed_date = p.closed_date, revision = s.revision + 1, updated_at = :at
FROM import_plan p LEFT JOIN import_province pv ON pv.id = p.id
WHERE NOT p.is_new AND s.id = p.id
""")
# New stations are written in location order (PostGIS sorts geometries along a Hilbert curve), so a
# large import lays the stations of one area on neighbouring heap pages (see `hydromet db reorder`).
INSERT_STATIONS = text(f"""
INSERT INTO station (id, {", ".join(_COLUMNS)}, province, zones, created_at, updated_at, revision)
SELECT p.id, {", ".join(f"p.{c}" for c in _COLUMNS)}, {_NEW_PROVINCE}, {_ZONES}, :at, :at, 1
FROM import_plan p LEFT JOIN import_province pv ON pv.id = p.id WHERE p.is_new
ORDER BY p.location
""")
DROP_WSIS = text("""
DELETE FROM station_wigos_id h USING import_plan p WHERE p.wsis_changed AND NOT p.is_new AND h.station_id = p.id
""")
INSERT_WSIS = text("""
INSERT INTO station_wigos_id (wsi, station_id, is_primary)
SELECT u.wsi, p.id, u.n = 1
FROM import_plan p CROSS JOIN LATERAL unnest(p.wigos_ids) WITH ORDINALITY AS u(wsi, n)
WHERE p.wsis_changed
""")
# One revision per written station: the state after, and {field: [before, after]} for each field that
# differs, as rules.changed_fields (a creation's "before" is empty). Each is one object minus the
# unchanged keys (an aggregate over jsonb_each cost three times more); a creation's is built from the
# columns, cheaper than looking each value up in the state. OFFSET 0 keeps the subquery whole, so a
# state is built once, not once per reference.
_CHANGED_KEYS = tuple(k for k in (*_STATE_KEYS, "location") if k != "revision")


def _minus(pairs: list[str], unchanged: list[str]) -> str:
    return f"jsonb_build_object({', '.join(pairs)}) - ARRAY[{', '.join(unchanged)}]"


def _column(key: str) -> str:
    return "ST_AsGeoJSON(st.location)::jsonb" if key == "location" else f"st.{key}"


_CREATED = _minus(
    [f"'{k}', jsonb_build_array(NULL, {_column(k)})" for k in _CHANGED_KEYS],
    [f"CASE WHEN st.{k} IS NULL THEN '{k}' END" for k in _CHANGED_KEYS],
)
_UPDATED = _minus(
    [f"'{k}', jsonb_build_array(st.before -> '{k}', st.state -> '{k}')" for k in _CHANGED_KEYS],
    [f"CASE WHEN st.before -> '{k}' = st.state -> '{k}' THEN '{k}' END" for k in _CHANGED_KEYS],
)
# What other areas keep in the state (the equipment list) is carried forward from the station's
# latest revision, as domain.station.service does (CARRIED_STATE_KEYS).
_CARRIED = """coalesce((SELECT jsonb_build_object('equipment', r.state -> 'equipment')
  FROM station_revision r WHERE r.station_id = s.id AND r.state -> 'equipment' IS NOT NULL
  ORDER BY r.revision DESC LIMIT 1), '{}'::jsonb)"""
INSERT_REVISIONS = text(f"""
INSERT INTO station_revision (station_id, revision, op, actor, organization, at, reason, changes, state,
                              approved_by)
SELECT st.id, st.revision, 'import', :actor, :organization, :at,
       format('%s, %s %s', CAST(:reason AS text), CAST(:unit AS text), st.line),
       CASE WHEN st.before IS NULL THEN {_CREATED} ELSE {_UPDATED} END, st.state || st.carried,
       CAST(:approved_by AS text)
FROM (SELECT s.*, p.line, p.before, {_state("s")} AS state, {_CARRIED} AS carried
      FROM import_plan p JOIN station s ON s.id = p.id OFFSET 0) st
""")


def plan_changes(
    session: Session, *, default_owner: str | None, offshore_m: float, today: Any
) -> tuple[int, int, int]:
    """Plan every creation and change with its province; return (created, updated, staged rows)."""
    session.execute(PLAN, {"default_owner": default_owner, "today": today})
    for statement in POINTS:
        session.execute(statement)
    if session.execute(COUNT_OFFSHORE).scalar():
        for statement in NEAREST:
            session.execute(statement)
        session.execute(NEAREST_INSERT, {"offshore_m": offshore_m})
    session.execute(PROVINCES)
    created, updated, staged = session.execute(COUNT_PLAN).one()
    return int(created), int(updated), int(staged)


TARGET_REVISIONS = text(
    "SELECT s.id::text, s.revision FROM station s WHERE s.id IN (SELECT station_id FROM import_target)"
)
PLANNED_ROWS = text("""
SELECT p.line, p.national_code, CASE WHEN p.is_new THEN 'create' ELSE 'update' END,
       CASE WHEN p.is_new THEN NULL ELSE p.id::text END
FROM import_plan p ORDER BY p.line
""")


def select_target_revisions(session: Session) -> dict[str, int]:
    """Return {station id: revision} of the stations the staged rows matched."""
    return {str(sid): int(rev) for sid, rev in session.execute(TARGET_REVISIONS)}


def select_planned_rows(session: Session) -> list[dict[str, Any]]:
    """Return the planned rows: line, national code, action (create or update) and station id."""
    keys = ("line", "national_code", "action", "station_id")
    return [dict(zip(keys, row, strict=True)) for row in session.execute(PLANNED_ROWS)]


def write_plan(
    session: Session, *, at: Any, actor: str, organization: str | None, reason: str, unit: str,
    approved_by: str | None = None,
) -> None:  # fmt: skip
    """Write the plan: stations updated and created, their WIGOS ids, one revision each."""
    session.execute(UPDATE_STATIONS, {"at": at})
    session.execute(INSERT_STATIONS, {"at": at})
    session.execute(DROP_WSIS)
    session.execute(INSERT_WSIS)
    params = {"at": at, "actor": actor, "organization": organization, "reason": reason, "unit": unit}
    params["approved_by"] = approved_by
    session.execute(INSERT_REVISIONS, params)
