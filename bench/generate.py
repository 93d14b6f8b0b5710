"""Grow the bench database to N synthetic stations over Viet Nam's land and sea, loaded with COPY.

    .venv/bin/python -m bench.generate 1000000 [--database-url URL] [--no-revisions] [--setup]

Stations are added until the table holds N (so 10k -> 100k -> 1M reuses what is there). Points are
sampled inside the service area (85% on land with land station types, 15% at sea with marine types);
names are Vietnamese with diacritics; ~5% are restricted. The rows are COPYed into a staging table,
then one INSERT ... SELECT puts them in `station` in location order (a Hilbert curve, so the rows of
one area share heap pages) with the province and the stored zone list from spatial joins, the WIGOS
identifiers into `station_wigos_id` and (unless --no-revisions) one `create` revision per station
into `station_revision`, all in one transaction; secondary indexes are rebuilt when the load more
than doubles the table, then the tables are vacuumed and analyzed.
"""

import argparse
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import psycopg
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from bench import names
from domain.db.engine import libpq_url
from domain.station.rules import fold

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:55432/hydromet_bench"
LAND_FILE = ROOT / "seed" / "data" / "vn_national_boundary_geoboundaries_dissolved.geojson"
SERVICE_AREA_FILE = ROOT / "domain" / "geo_data" / "service_area.geojson"
CHUNK = 50_000
NULL = r"\N"
CLOSE_REASON = "Ngừng quan trắc (dữ liệu tổng hợp)"
SEA_SHARE = 0.15
TABLES = ("station", "station_wigos_id", "station_revision")
START = datetime(2005, 1, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
COLUMNS = (
    "id, national_code, name, search_text, network, legal_basis, station_types, automation, status, "
    "location, elevation_m, wigos_ids, owner, operator, data_policy, river, basin, variables, "
    "closed_date, close_reason, created_at, updated_at, revision"
)


def progress(text: str) -> None:
    """Write a progress line at once."""
    print(text, flush=True)


@lru_cache
def areas() -> tuple[BaseGeometry, BaseGeometry]:
    """Return (land, service area), prepared for fast vectorized point tests."""
    land = shapely.union_all([shape(f["geometry"]) for f in json.loads(LAND_FILE.read_text())["features"]])
    sea = shape(json.loads(SERVICE_AREA_FILE.read_text())["geometry"])
    shapely.prepare(land)
    shapely.prepare(sea)
    return land, sea


def sample_points(rng: np.random.Generator, n: int, *, at_sea: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return n random (lon, lat) inside the land, or inside the service area but off the land."""
    land, area = areas()
    minx, miny, maxx, maxy = (area if at_sea else land).bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 8 * (n - have) + 100)
        y = rng.uniform(miny, maxy, x.size)
        inside = shapely.contains_xy(land, x, y)
        keep = (shapely.contains_xy(area, x, y) & ~inside) if at_sea else inside
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


@dataclass(frozen=True)
class Kind:
    """A station type combination with its name label, code prefix and variables."""

    types: str  # a PostgreSQL array literal
    label: str
    prefix: str
    variables: str
    hydro: bool


def kinds(table: list[tuple[tuple[str, ...], int, str, str]]) -> tuple[list[Kind], np.ndarray]:
    """Return the kinds of a table and their probabilities."""
    out = [
        Kind("{" + ",".join(t) + "}", label, prefix, names.variables_json(t), "hydrological" in t)
        for t, _, label, prefix in table
    ]
    weights = np.array([w for _, w, _, _ in table], dtype=float)
    return out, weights / weights.sum()


@lru_cache(maxsize=100_000)
def folded(name: str) -> str:
    """Return the folded name (names repeat a lot, so fold each once)."""
    return fold(name)


def _timestamps(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[str]]:
    created = rng.uniform(START, END, n)
    updated = created + rng.uniform(0, 1, n) * (END - created)
    closed = updated + rng.uniform(0, 1, n) * (END - updated)

    def iso(seconds: np.ndarray, unit: str) -> list[str]:
        stamps: np.ndarray = seconds.astype("datetime64[s]")
        return [str(x) for x in np.datetime_as_string(stamps, unit=unit, timezone="UTC")]  # type: ignore[call-overload]

    return iso(created, "s"), iso(updated, "s"), [d[:10] for d in iso(closed, "D")]


def _pick(rng: np.random.Generator, values: list[str], n: int, p: list[float] | None = None) -> list[str]:
    return [values[i] for i in rng.choice(len(values), n, p=p).tolist()]


def _kinds_and_points(
    rng: np.random.Generator, n: int
) -> tuple[list[Kind], list[float], list[float], np.ndarray]:
    sea = rng.random(n) < SEA_SHARE
    lon, lat = np.empty(n), np.empty(n)
    lon[~sea], lat[~sea] = sample_points(rng, int((~sea).sum()), at_sea=False)
    lon[sea], lat[sea] = sample_points(rng, int(sea.sum()), at_sea=True)
    land_kinds, land_p = kinds(names.LAND_KINDS)
    sea_kinds, sea_p = kinds(names.SEA_KINDS)
    land_pick = rng.choice(len(land_kinds), n, p=land_p).tolist()
    sea_pick = rng.choice(len(sea_kinds), n, p=sea_p).tolist()
    out = [
        sea_kinds[s] if at else land_kinds[lk]
        for at, lk, s in zip(sea.tolist(), land_pick, sea_pick, strict=True)
    ]
    return out, lon.tolist(), lat.tolist(), sea


def _names(rng: np.random.Generator, chosen: list[Kind], sea: np.ndarray) -> list[str]:
    land_places, sea_places = names.places(names.LAND_PLACES), names.places(names.SEA_PLACES)
    n = len(chosen)
    lp = _pick(rng, land_places, n)
    sp = _pick(rng, sea_places, n)
    sx = _pick(rng, names.SUFFIXES, n)
    return [
        f"Trạm {k.label} {s if at else p}{x}"
        for k, at, p, s, x in zip(chosen, sea.tolist(), lp, sp, sx, strict=True)
    ]


def chunk_text(rng: np.random.Generator, start: int, n: int) -> str:
    """Return n stations numbered from `start` as COPY text (tab-separated, \\N for NULL)."""
    chosen, lon, lat, sea = _kinds_and_points(rng, n)
    station_names = _names(rng, chosen, sea)
    national = (rng.random(n) < 0.35).tolist()
    owners = _pick(rng, names.OWNERS_SPECIALIZED, n)
    own_op = (rng.random(n) < 0.7).tolist()
    legal = _pick(rng, [NULL, *names.LEGAL_BASES], n, [0.5] + [0.5 / len(names.LEGAL_BASES)] * 3)
    automation = _pick(rng, ["automatic", "semi_automatic", "manual"], n, [0.55, 0.15, 0.30])
    status = _pick(rng, ["operational", "planned", "suspended", "closed"], n, [0.80, 0.07, 0.05, 0.08])
    policy = _pick(rng, ["core", "recommended", "restricted"], n, [0.65, 0.30, 0.05])
    wsi_roll = rng.random(n).tolist()
    issue = rng.integers(0, 3, n).tolist()
    rivers = [names.RIVERS[i] for i in rng.integers(0, len(names.RIVERS), n).tolist()]
    elevation = np.where(sea, rng.uniform(0, 5, n), np.minimum(rng.gamma(1.3, 220, n), 3100)).round(1)
    created, updated, closed = _timestamps(rng, n)
    raw = rng.bytes(16 * n)
    ids = [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * n, 16)]
    lines = []
    for j in range(n):
        k, i = chosen[j], start + j
        code = f"{k.prefix}{i:07d}"
        nat = national[j]
        owner = "NCHMF" if nat else owners[j]
        has_wsi = wsi_roll[j] < (0.7 if nat else 0.15)
        river, basin = rivers[j] if k.hydro else (NULL, NULL)
        is_closed = status[j] == "closed"
        lines.append(
            f"{ids[j]}\t{code}\t{station_names[j]}\t{folded(station_names[j])} {code.lower()}\t"
            f"{'national' if nat else 'specialized'}\t{NULL if nat else legal[j]}\t{k.types}\t"
            f"{automation[j]}\t{status[j]}\tSRID=4326;POINT({lon[j]:.6f} {lat[j]:.6f})\t{elevation[j]}\t"
            f"{{{f'0-704-{issue[j]}-{code}' if has_wsi else ''}}}\t{owner}\t{owner if own_op[j] else NULL}\t"
            f"{policy[j]}\t{river}\t{basin}\t{k.variables}\t{closed[j] if is_closed else NULL}\t"
            f"{CLOSE_REASON if is_closed else NULL}\t{created[j]}\t{updated[j]}\t1\n"
        )
    return "".join(lines)


PROVINCE_PARTS = """
CREATE TEMP TABLE bench_province_part ON COMMIT DROP AS
  SELECT code, ST_Subdivide(geom, 128) AS geom FROM province;
CREATE INDEX ON bench_province_part USING gist (geom);
ANALYZE bench_province_part;
"""
# The province and the stored zone list (as domain.station.queries.zones_containing gives it), in
# location order (PostGIS sorts geometries along a Hilbert curve): the stations of one box land on
# neighbouring heap pages, as `hydromet db reorder` would leave them (bench/RESULTS.md, bbox page at 1M).
INSERT_STATIONS = f"""
INSERT INTO station ({COLUMNS}, province, zones)
SELECT {COLUMNS},
  (SELECT p.code FROM bench_province_part p WHERE ST_Intersects(p.geom, s.location) LIMIT 1),
  (SELECT coalesce(array_agg(DISTINCT z.zone_code), '{{}}') FROM priority_zone_part z
   WHERE ST_Intersects(z.geom, s.location))
FROM bench_stage s
ORDER BY s.location
"""
INSERT_WSIS = """
INSERT INTO station_wigos_id (wsi, station_id, is_primary)
SELECT wigos_ids[1], id, true FROM bench_stage WHERE cardinality(wigos_ids) > 0
"""
# The snapshot a `create` revision keeps (the service's `snapshot()`: every field but search_text).
STATE = [
    "id", "national_code", "name", "network", "legal_basis", "station_types", "automation", "status",
    "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "province", "river", "basin", "variables",
    "closed_date", "close_reason", "successor_id", "created_at", "updated_at", "revision",
]  # fmt: skip
VOLATILE = ("created_at", "updated_at", "revision")
_FIELDS = [(k, f"s.{k}") for k in STATE] + [("location", "ST_AsGeoJSON(s.location)::jsonb")]
_STATE_SQL = ", ".join(f"'{k}', {e}" for k, e in _FIELDS)
_CHANGES_SQL = ", ".join(
    f"'{k}', CASE WHEN {e} IS NULL THEN NULL ELSE jsonb_build_array(NULL, {e}) END"
    for k, e in _FIELDS
    if k not in VOLATILE
)
# One `create` revision per station, with the state and changes the service would have written.
# The seq column's default (the sharing migration) announces the transaction's lowest seq to the change
# feed on its first call; called once here, the rows then take plain nextval (per row it was the slow part).
ANNOUNCE_FEED_LOW = """
SELECT station_revision_next_seq() WHERE to_regproc('station_revision_next_seq') IS NOT NULL
"""
INSERT_REVISIONS = f"""
INSERT INTO station_revision (seq, station_id, revision, op, actor, organization, at, reason, changes, state)
SELECT nextval(pg_get_serial_sequence('station_revision', 'seq')), s.id, 1, 'create', 'system', 'SYSTEM',
  s.created_at, 'registered',
  jsonb_strip_nulls(jsonb_build_object({_CHANGES_SQL})), jsonb_build_object({_STATE_SQL})
FROM station s JOIN bench_stage b ON b.id = s.id
"""
SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = %s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""
USER_TRIGGERS = """
SELECT count(*) FROM pg_trigger
WHERE tgrelid = ANY(ARRAY['station', 'station_wigos_id', 'station_revision']::regclass[]) AND NOT tgisinternal
"""


def timed(label: str, cur: psycopg.Cursor[tuple[object, ...]], sql: str) -> None:
    """Run one statement and say how long it took."""
    t0 = time.perf_counter()
    cur.execute(sql)
    progress(
        f"  {label}: {cur.rowcount if cur.rowcount >= 0 else '-'} rows in {time.perf_counter() - t0:.1f} s"
    )


def drop_secondary_indexes(cur: psycopg.Cursor[tuple[object, ...]]) -> list[tuple[str, str]]:
    """Drop the indexes that back no constraint on the station tables; return their definitions."""
    dropped: list[tuple[str, str]] = []
    for table in TABLES:
        cur.execute(SECONDARY_INDEXES, (table,))
        dropped += [(str(name), str(ddl)) for name, ddl in cur.fetchall()]
    for name, _ in dropped:
        cur.execute(f"DROP INDEX {name}")
    progress(f"  dropped {len(dropped)} secondary indexes, rebuilt after the load")
    return dropped


def copy_stage(cur: psycopg.Cursor[tuple[object, ...]], start: int, add: int, seed: int) -> None:
    """COPY `add` generated stations into the staging table, chunk by chunk, with progress."""
    cur.execute("CREATE TEMP TABLE bench_stage (LIKE station INCLUDING DEFAULTS) ON COMMIT DROP")
    rng = np.random.default_rng([seed, start])
    t0, done = time.perf_counter(), 0
    with cur.copy(f"COPY bench_stage ({COLUMNS}) FROM STDIN") as copy:
        while done < add:
            n = min(CHUNK, add - done)
            copy.write(chunk_text(rng, start + done, n))
            done += n
            rate = done / (time.perf_counter() - t0)
            progress(f"  copied {done:>9,}/{add:,} stations ({100 * done / add:5.1f}%, {rate:,.0f}/s)")


def grow(url: str, target: int, *, revisions: bool = True, seed: int = 704) -> int:
    """Add stations until the table holds `target`; return how many were added."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        existing = int(conn.execute("SELECT count(*) FROM station").fetchone()[0])  # type: ignore[index]
        add = target - existing
        if add <= 0:
            progress(f"station table already holds {existing:,} stations (target {target:,})")
            return 0
        progress(f"adding {add:,} stations to {existing:,} (target {target:,})")
        conn.execute("SET temp_buffers = '512MB'")
        t0 = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            if int(cur.execute(USER_TRIGGERS).fetchone()[0]) == 0:  # type: ignore[index]
                cur.execute("SET LOCAL session_replication_role = replica")  # skip FK checks: rows are valid
            dropped = drop_secondary_indexes(cur) if add > existing else []
            copy_stage(cur, existing, add, seed)
            cur.execute(PROVINCE_PARTS)
            timed("stations (province and zones by spatial join)", cur, INSERT_STATIONS)
            timed("WIGOS identifiers", cur, INSERT_WSIS)
            if revisions:
                cur.execute(ANNOUNCE_FEED_LOW)
                timed("create revisions", cur, INSERT_REVISIONS)
            for name, ddl in dropped:
                timed(f"index {name}", cur, ddl)
        vacuum(conn)
        progress(f"loaded {add:,} stations in {time.perf_counter() - t0:.0f} s; table holds {target:,}")
        return add


def vacuum(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """VACUUM ANALYZE the station tables (fresh statistics, visibility map); needs autocommit."""
    t0 = time.perf_counter()
    for table in TABLES:
        conn.execute(f"VACUUM (ANALYZE) {table}")
    progress(f"  vacuum analyze: {time.perf_counter() - t0:.1f} s")


def create_database(url: str) -> None:
    """Create the database of the URL if it does not exist yet."""
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(libpq_url(url))
    name = str(params["dbname"])
    with psycopg.connect(make_conninfo(libpq_url(url), dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            progress(f"created database {name}")


def setup(url: str) -> None:
    """Migrate the database; load the organizations, provinces and priority zones (as the seed has them)."""
    import subprocess

    from sqlalchemy import text
    from sqlmodel import Session

    from domain.access.service import ensure_organization
    from domain.db.engine import make_engine
    from domain.province.service import load_provinces
    from domain.settings import Settings
    from seed import zones as seed_zones
    from seed.organizations import ORGANIZATIONS
    from seed.provinces import province_features

    create_database(url)
    env = dict(os.environ, HYDROMET_DATABASE_URL=url)
    subprocess.run([str(ROOT / ".venv" / "bin" / "hydromet"), "migrate"], check=True, env=env, cwd=ROOT)
    engine = make_engine(Settings(database_url=url))
    with Session(engine) as session:
        for org in ORGANIZATIONS:
            ensure_organization(session, data=org)
        session.commit()
        added = load_provinces(session, features=province_features())
        seed_zones.load(session, lambda _line: None)
        zones = session.exec(text("SELECT count(*) FROM priority_zone")).one()[0]  # type: ignore[call-overload]
    engine.dispose()
    progress(f"setup: migrated; organizations present; {added} provinces added; {zones} priority zones")


def parse_size(text: str) -> int:
    """Return a count given as 10000, 10k or 1M."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and grow the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=parse_size, help="stations the table should hold (10k, 100k, 1M)")
    parser.add_argument("--database-url", default=os.environ.get("HYDROMET_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--no-revisions", action="store_true", help="skip the one revision per station")
    parser.add_argument("--setup", action="store_true", help="migrate and load organizations and provinces")
    parser.add_argument("--seed", type=int, default=704)
    args = parser.parse_args(argv)
    if args.setup:
        setup(args.database_url)
    grow(args.database_url, args.n, revisions=not args.no_revisions, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
