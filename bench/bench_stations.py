"""Station read benchmarks (issue 2): through the API and as the same SQL through psycopg (the floor).

    .venv/bin/python -m bench.bench_stations [--sizes 10k,100k,1M] [--latency-seconds 15] [--seconds 8] [--concurrency 8]

For each size the table is grown with bench.generate, the API is started with uvicorn (2 workers, as
in production) and four cases are measured: a page of 100 stations as GeoJSON from a random keyset
position, a random 0.5-degree bbox, a random 25 km near query (both GeoJSON, 100 per page) and one
station by id. The API is timed with libcurl at 1 client (latency) and loaded with wrk at N clients
(throughput); the floor runs the very statements the API sends (captured at the driver from the
domain code, with their parameters) through psycopg at the same concurrency. Results go to bench/results/stations.json,
the `## stations` section of bench/RESULTS.md and bench/plots/stations.png.
"""

import argparse
import json
import os
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlmodel import Session

from bench import generate, harness, report_stations
from bench.harness import Statement, progress
from domain.access.models import Principal
from domain.db.engine import libpq_url, make_engine
from domain.settings import Settings
from domain.station import reads
from domain.station.filters import StationFilter, encode_cursor, parse_bbox, parse_near

RESULTS_JSON = harness.BENCH / "results" / "stations.json"
SAMPLES = 300
BBOX_DEG = 0.5
NEAR_KM = 25.0
GEOJSON = "application/geo+json"
LIST = "/api/v1/stations?f=geojson&limit=100"
SLICES = 15  # latency runs alternate API and SQL slices so both see the same load


@dataclass
class Case:
    """One benchmark case: the HTTP paths and, for the same requests, the SQL the API runs."""

    name: str
    paths: list[str]
    statements: list[Statement]
    content_type: str


Sample = tuple[uuid.UUID, str, float, float, bool]


def sample_stations(url: str, k: int) -> list[Sample]:
    """Return k random stations: id, national code, lon, lat, on land."""
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT id, national_code, ST_X(location), ST_Y(location), province IS NOT NULL "
            "FROM station ORDER BY random() LIMIT %s",
            (k,),
        ).fetchall()
    return [(r[0], r[1], float(r[2]), float(r[3]), bool(r[4])) for r in rows]


ListItem = tuple[str, StationFilter, str | None]  # query string, the filter the router parses, cursor


def _list_case(name: str, session: Session, principal: Principal, items: list[ListItem]) -> Case:
    """Build a list case: each item is (query string, the filter the router would parse, cursor)."""
    with harness.capturing(session) as seen:
        for _, filters, cursor in items:
            reads.list_stations(
                session, principal=principal, filters=filters, cursor=cursor, limit=100, geojson=True
            )
    return Case(name, [LIST + query for query, _, _ in items], list(seen), GEOJSON)


def build_cases(session: Session, principal: Principal, sample: list[Sample]) -> list[Case]:
    """Return the four cases with their paths and captured SQL (running each query once warms the cache)."""
    land = [s for s in sample if s[4]] or sample
    half = BBOX_DEG / 2
    page: list[ListItem] = []
    bbox: list[ListItem] = []
    near: list[ListItem] = []
    for _, code, lon, lat, _ in sample:
        cursor = encode_cursor(code)
        page.append((f"&cursor={cursor}", StationFilter(), cursor))
        text = f"{lon:.4f},{lat:.4f}"
        point, radius = parse_near(text, NEAR_KM)
        near.append(
            (f"&near={text}&radius_km={NEAR_KM:g}", StationFilter(near=point, radius_km=radius), None)
        )
    for _, _, lon, lat, _ in land:
        text = f"{lon - half:.4f},{lat - half:.4f},{lon + half:.4f},{lat + half:.4f}"
        bbox.append((f"&bbox={text}", StationFilter(bbox=parse_bbox(text)), None))
    cases = [_list_case("page", session, principal, page), _list_case("bbox", session, principal, bbox)]
    cases.append(_list_case("near", session, principal, near))
    with harness.capturing(session) as seen:
        for station_id, *_ in sample:
            reads.get_station_json(session, principal=principal, station_id=station_id)
    cases.append(Case("by_id", [f"/api/v1/stations/{s[0]}" for s in sample], list(seen), "application/json"))
    return cases


def measure(
    engine: Engine, base: str, headers: dict[str, str], case: Case, args: argparse.Namespace
) -> dict[str, Any]:
    """Measure one case: API and SQL at 1 client (latency) and at N clients (throughput), interleaved."""
    harness.check_paths(base, headers, case.paths, case.content_type)
    harness.wrk(base, headers, case.paths, concurrency=2, seconds=1)  # warm the server's pool and plans
    api_1c, sql_1c = (
        harness.http_clients(base, headers, case.paths, 1),
        harness.sql_clients(engine, case.statements, 1),
    )
    api_1, sql_1 = harness.interleaved(
        lambda s: harness.run_clients(api_1c, s), lambda s: harness.run_clients(sql_1c, s),
        seconds=args.latency_seconds, slices=SLICES, concurrency=1,
    )  # fmt: skip
    harness.close_all(api_1c + sql_1c)
    show("1 client", api_1, sql_1)
    c = args.concurrency
    sql_nc = harness.sql_clients(engine, case.statements, c)
    api_runs, sql_samples = [], []
    for _ in range(2):
        api_runs.append(harness.wrk(base, headers, case.paths, concurrency=c, seconds=args.seconds / 2))
        sql_samples.append(harness.run_clients(sql_nc, args.seconds / 2))
    harness.close_all(sql_nc)
    api_n, sql_n = harness.combine(api_runs), harness.stats_of(sql_samples, c)
    show(f"{c} clients", api_n, sql_n)
    return {
        k: harness.stats_dict(v)
        for k, v in {"api_1": api_1, "sql_1": sql_1, "api_n": api_n, "sql_n": sql_n}.items()
    }


def show(label: str, api: harness.Stats, sql: harness.Stats) -> None:
    """Print one comparison line."""
    progress(
        f"    {label:<10} API p50 {api.p50_ms:8.2f} p95 {api.p95_ms:8.2f} ms {api.rps:7.1f}/s | "
        f"SQL p50 {sql.p50_ms:8.2f} p95 {sql.p95_ms:8.2f} ms {sql.rps:7.1f}/s | p50 ratio {api.p50_ms / sql.p50_ms:.2f}"
    )


def bench_size(url: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Grow the data to n stations and measure every case."""
    generate.grow(url, n, revisions=not args.no_revisions)
    settings = Settings(database_url=url)
    secret, principal = harness.admin_key(settings, "bench_stations")
    engine = make_engine(settings)
    progress(f"sampling {SAMPLES} stations and capturing the API's SQL for each request")
    with Session(engine) as session:
        cases = build_cases(session, principal, sample_stations(url, SAMPLES))
    if args.cases:
        cases = [c for c in cases if c.name in args.cases.split(",")]
    result: dict[str, Any] = {"load_before": harness.load_average(), "cases": {}}
    with harness.api_server(url, args.port) as base:
        headers = {"Authorization": f"Bearer {secret}"}
        for i, case in enumerate(cases, 1):
            progress(f"  [{n:,} stations] case {i}/{len(cases)}: {report_stations.LABELS[case.name]}")
            result["cases"][case.name] = measure(engine, base, headers, case, args)
    engine.dispose()
    result["load_after"] = harness.load_average()
    result["dataset"] = dataset_facts(url)
    return result


def dataset_facts(url: str) -> dict[str, Any]:
    """Return the table sizes and the PostgreSQL version."""
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT version(), (SELECT count(*) FROM station), (SELECT count(*) FROM station_revision), "
            "pg_size_pretty(pg_total_relation_size('station')), "
            "pg_size_pretty(pg_total_relation_size('station_revision')), "
            "(SELECT count(*) FROM priority_zone_part)"
        ).fetchone()
    assert row is not None
    keys = ["postgres", "stations", "revisions", "station_size", "revision_size", "zone_parts"]
    return dict(zip(keys, row, strict=True))


def prepare(url: str, smallest: int) -> None:
    """Create, migrate and set up the bench database; empty it when it holds more than the first size."""
    generate.setup(url)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        count = int(conn.execute("SELECT count(*) FROM station").fetchone()[0])  # type: ignore[index]
        if count > smallest:
            progress(f"the bench database holds {count:,} stations, more than {smallest:,}: emptying it")
            conn.execute("TRUNCATE station CASCADE")


def main(argv: list[str] | None = None) -> int:
    """Run the station benchmarks at each size, then write RESULTS.md and the plot."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated station counts")
    parser.add_argument("--seconds", type=float, default=8, help="duration of each throughput run")
    parser.add_argument(
        "--latency-seconds", type=float, default=15, help="duration of each 1-client run (a side)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=18050)
    parser.add_argument(
        "--database-url", default=os.environ.get("HYDROMET_BENCH_DATABASE_URL", generate.DEFAULT_URL)
    )
    parser.add_argument("--no-revisions", action="store_true", help="load no revisions (faster)")
    parser.add_argument(
        "--cases", default="", help="comma-separated subset of page,bbox,near,by_id (others kept)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; write no results")
    args = parser.parse_args(argv)
    sizes = sorted(generate.parse_size(s) for s in args.sizes.split(","))
    prepare(args.database_url, sizes[0])
    saved = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"sizes": {}}
    saved["machine"] = harness.machine()
    saved["concurrency"] = args.concurrency
    saved["seconds"] = {"latency": args.latency_seconds, "throughput": args.seconds}
    for n in sizes:
        progress(f"== {n:,} stations ==")
        result = bench_size(args.database_url, n, args)
        if args.no_save:
            continue
        if args.cases and str(n) in saved["sizes"]:
            result["cases"] = {**saved["sizes"][str(n)]["cases"], **result["cases"]}
        saved["sizes"][str(n)] = result
        harness.save_json(RESULTS_JSON, saved)
    if args.no_save:
        return 0
    report_stations.write(saved)
    progress(
        f"wrote {harness.RESULTS_MD.relative_to(harness.ROOT)} and {report_stations.PLOT.relative_to(harness.ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
