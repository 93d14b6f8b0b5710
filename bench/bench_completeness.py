"""WIGOS completeness at 100k stations: GET /api/v1/completeness (the summary) and the station list filter.

    .venv/bin/python -m bench.bench_completeness [--size 100k] [--keep]

Stations come from bench/generate.py (COPY, bypassing the service), which fills neither the new WIGOS
fields nor the derived region and territory; this script then sets them as the service would
(region and territory on every station) and gives a realistic spread of the rest (date established
on ~60%, a programme on ~40%; the generator gives WSIs to 70% of national and 15% of other stations).
Timed over HTTP against uvicorn (1 worker): the whole-registry summary (admin), one owner's, and the
first page of `/stations?completeness_below=100`. The database is on this helper's own port
(HYDROMET_PGPORT), created and dropped by the script.
"""

import argparse
import os
import statistics
import time
from typing import Any

import httpx
import numpy as np
import psycopg
from sqlmodel import Session

from bench import generate, harness
from domain.access.models import Role
from domain.access.service import create_key
from domain.db.engine import libpq_url, make_engine
from domain.settings import Settings

PORT_DB = os.environ.get("HYDROMET_PGPORT", "55432")
NAME = "hydromet_bench_wigos"
URL = f"postgresql+psycopg://postgres@127.0.0.1:{PORT_DB}/{NAME}"
PORT = 18170
REPEAT = 9
SPREAD = """
UPDATE station SET wmo_region = 'asia', territory = 'VNM',
  established_date = CASE WHEN random() < 0.6 THEN date '1950-01-01' + (random() * 27000)::int END,
  programmes = CASE WHEN random() < 0.4 THEN ARRAY['GOSGeneral']::varchar[] ELSE '{}' END
"""
PATHS = {
    "summary (all stations)": ("/api/v1/completeness", {}),
    "summary (owner NCHMF)": ("/api/v1/completeness", {"owner": "NCHMF"}),
    "list completeness_below=100, first page": (
        "/api/v1/stations",
        {"completeness_below": 100, "limit": 100},
    ),
}


def spread(url: str) -> dict[str, int]:
    """Fill the WIGOS fields of the generated stations; return how many stations each element lacks."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SELECT setseed(0.704)")
        conn.execute(SPREAD)
        conn.execute("VACUUM (ANALYZE) station")
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE cardinality(wigos_ids) = 0),"
            " count(*) FILTER (WHERE established_date IS NULL), count(*) FILTER (WHERE cardinality(programmes) = 0)"
            " FROM station"
        ).fetchone()
    assert row is not None
    return dict(zip(("stations", "no_wsi", "no_date", "no_programme"), (int(v) for v in row), strict=True))


def time_http(settings: Settings) -> dict[str, dict[str, Any]]:
    """Time each path REPEAT times after a warm-up against a real uvicorn."""
    engine = make_engine(settings)
    with Session(engine) as session:
        _, secret = create_key(session, organization="NCHMF", role=Role.admin, label="bench")
    engine.dispose()
    headers = {"Authorization": f"Bearer {secret}"}
    out: dict[str, dict[str, Any]] = {}
    with (
        harness.api_server(str(settings.database_url), PORT, workers=1) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        for label, (path, params) in PATHS.items():
            times: list[float] = []
            body: Any = None
            for n in range(REPEAT + 1):
                t0 = time.perf_counter()
                got = client.get(path, params=params, headers=headers)
                if n:
                    times.append((time.perf_counter() - t0) * 1000)
                assert got.status_code == 200, got.text[:300]
                body = got.json()
            out[label] = {
                "p50_ms": statistics.median(times),
                "p95_ms": float(np.percentile(times, 95)),
                "body": body,
            }
            harness.progress(f"  {label}: p50 {out[label]['p50_ms']:.0f} ms")
    return out


def section(counts: dict[str, int], timing: dict[str, dict[str, Any]], machine: dict[str, str]) -> str:
    """Return the body of the `## WIGOS completeness` section of RESULTS.md."""
    summary = timing["summary (all stations)"]["body"]
    rows = [f"| {label} | {t['p50_ms']:.0f} | {t['p95_ms']:.0f} |" for label, t in timing.items()]
    spread_text = ", ".join(
        f"{d['from']}-{d['to']}: {d['stations']:,}" for d in summary["distribution"] if d["stations"]
    )
    return "\n".join([
        f"Date: {machine['date']}. Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']} RAM, "
        f"{machine['os']}, Python {machine['python']}; PostgreSQL on the same 2 cores, shared with other sessions "
        f"(load {harness.load_average()}).",
        "",
        f"Run with `.venv/bin/python -m bench.bench_completeness` ({counts['stations']:,} stations from "
        "`bench/generate.py`, then the WIGOS fields spread as the script's docstring says: "
        f"{counts['no_wsi']:,} without a WSI, {counts['no_date']:,} without a date established, "
        f"{counts['no_programme']:,} without a programme). HTTP against uvicorn, 1 worker, {REPEAT} runs after a warm-up.",
        "",
        "The summary is one SQL statement: each visible station's 15 element tests (a CASE each, two of them",
        "over the variables' JSON) computed once in a materialized CTE, then the distribution, the count",
        "missing per element and the first 100 blocking stations from it. It reads every matching station,",
        "so it grows linearly with them; the list filter stops at the first page's worth of matches.",
        "A first version that ran each test twice (for the score and for the missing keys) and unnested",
        "the missing keys to count them took 2,776 ms p50 for all stations in the same conditions.",
        "",
        "| request | p50 ms | p95 ms |",
        "| --- | ---: | ---: |",
        *rows,
        "",
        f"Distribution found: {spread_text}; {summary['blocking']:,} stations block an OSCAR upload.",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Build the database, time the requests, write RESULTS.md, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    settings = Settings(database_url=URL, db_pool_size=2)  # type: ignore[arg-type]
    machine = harness.machine()
    generate.setup(URL)
    try:
        generate.grow(URL, generate.parse_size(args.size), revisions=False)
        counts = spread(URL)
        harness.progress(f"spread: {counts}")
        timing = time_http(settings)
        saved = {k: {"p50_ms": v["p50_ms"], "p95_ms": v["p95_ms"]} for k, v in timing.items()}
        harness.save_json(
            harness.BENCH / "results" / "completeness.json",
            {"machine": machine, "counts": counts, "timing": saved},
        )
        harness.replace_section("WIGOS completeness", section(counts, timing, machine))
    finally:
        if not args.keep:
            with psycopg.connect(libpq_url(URL.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
            harness.progress(f"dropped {NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
