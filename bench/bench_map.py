"""Benchmark the web map in headless Chromium: time to show every station, bytes moved, and how long a
zoom step, a filter and a search take, at 1k and 10k stations; results in bench/map_results.md.

    .venv/bin/python -m bench.bench_map [--sizes 1k,10k] [--runs 3]

The database (hydromet_bench_map, created here, dropped with --drop) is grown with bench/generate.py;
the API runs under uvicorn with 2 workers (bench/harness.py). Each run opens a fresh browser context,
so nothing comes from the browser cache except within a run.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from playwright.sync_api import Browser, Page, sync_playwright
from sqlmodel import Session

from bench import generate, harness
from domain.access.models import Role
from domain.access.service import create_key
from domain.db.engine import libpq_url, make_engine
from domain.settings import Settings

URL = "postgresql://postgres@127.0.0.1:55432/hydromet_bench_map"
PORT = 18092
OUT = Path(__file__).resolve().parent / "map_results.md"
RAW = Path(__file__).resolve().parent / "results" / "map.json"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TRANSFERRED = """(source) => performance.getEntriesByType('resource')
  .filter(e => e.name.includes(source))
  .reduce((a, e) => a + e.encodedBodySize, 0)"""
ZOOM = """() => { const m = hydrometMap.map, t0 = performance.now();
  m.setZoom(m.getZoom() + 2, {animate: false}); m.setZoom(m.getZoom() - 2, {animate: false});
  return (performance.now() - t0) / 2; }"""
SEARCH = """() => { const t0 = performance.now(); const n = hydrometMap.search('xyzq');
  return [performance.now() - t0, n]; }"""


def _key(url: str) -> str:
    engine = make_engine(Settings(database_url=url))  # type: ignore[arg-type]
    with Session(engine) as session:
        _, secret = create_key(session, organization="NCHMF", role=Role.admin, label="map bench")
    engine.dispose()
    return secret


def _ready(page: Page) -> None:
    page.wait_for_selector("body[data-state=ready]", timeout=120_000)


def _one_run(browser: Browser, base: str, key: str | None) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(base + "/map")
    _ready(page)
    if key:
        page.fill("#key", key)
        start = time.perf_counter()
        page.click("#key-form button[type=submit]")
        _ready(page)
    loaded_s = time.perf_counter() - start
    result = {
        "load_s": loaded_s, "markers": page.evaluate("hydrometMap.markerCount()"),
        "station_bytes": page.evaluate(TRANSFERRED, "/api/v1/stations?" if key else "/ogc/collections/stations/"), "zoom_ms": page.evaluate(ZOOM),
        "search_ms": page.evaluate(SEARCH)[0],
        "heap_mb": page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1048576 : 0"),
    }  # fmt: skip
    page.select_option("select[name=network]", "national")
    start = time.perf_counter()
    page.click("#filters button[type=submit]")
    page.wait_for_timeout(50)
    _ready(page)
    result["filter_s"] = time.perf_counter() - start
    context.close()
    return result


def _median(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _measure(size: int, runs: int) -> dict[str, dict[str, float]]:
    generate.main([str(size), "--database-url", URL, "--no-revisions"])
    key = _key(URL)
    out: dict[str, dict[str, float]] = {}
    with harness.api_server(URL, PORT) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for mode, mode_key in (("public (OGC, no key)", None), ("admin key (/api/v1)", key)):
            samples = [_one_run(browser, base, mode_key) for _ in range(runs)]
            out[mode] = _median(samples)
            harness.progress(f"  {size} stations, {mode}: {json.dumps(out[mode])}")
        browser.close()
    return out


def _table(results: dict[int, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| stations in the table | mode | markers | time to all markers s | station data MB (gzip off) "
        "| zoom step ms | search ms | filter (network) s | JS heap MB |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, modes in results.items():
        for mode, r in modes.items():
            lines.append(
                f"| {size:,} | {mode} | {r['markers']:.0f} | {r['load_s']:.2f} | {r['station_bytes'] / 1e6:.1f} "
                f"| {r['zoom_ms']:.0f} | {r['search_ms']:.1f} | {r['filter_s']:.2f} | {r['heap_mb']:.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Grow the table through the sizes, measure the map at each, write map_results.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    args = parser.parse_args(argv)
    facts, load_before = harness.machine(), harness.load_average()
    generate.setup(URL)
    results = {
        generate.parse_size(s): _measure(generate.parse_size(s), args.runs) for s in args.sizes.split(",")
    }
    harness.save_json(RAW, {"machine": facts, "results": {str(k): v for k, v in results.items()}})
    OUT.write_text(_report(facts, load_before, results, args.runs))
    if args.drop:
        with psycopg.connect(libpq_url(URL.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS hydromet_bench_map WITH (FORCE)")
    return 0


def _report(facts: dict[str, str], load_before: str, results: dict[int, Any], runs: int) -> str:
    return f"""# Web map benchmark

Date: {facts["date"]}. Machine: {facts["cpu"]}, {facts["cores"]} cores, {facts["memory"]} RAM, {facts["os"]},
Chromium {sys.platform} headless (Debian package), Python {facts["python"]}. Load average (1 min) before
{load_before}, after {harness.load_average()}: other sessions shared the 2 cores.

Run with `.venv/bin/python -m bench.bench_map` (median of {runs} runs, each in a fresh browser context).
Stations come from `bench/generate.py` (~5% restricted, which only the key sees, and some closed,
hidden by default: hence fewer markers than stations). "Time to all markers" runs from the page request (public) or from the key's
submission (keyed) until every page of stations is fetched and clustered; "zoom step" is one
non-animated zoom change re-clustering all markers; "search" is a diacritics-insensitive lookup that
matches nothing, so it scans every loaded station; "filter" applies `network=national` (keyed: the API
is asked again with it; public: the collection is read again and filtered in the page).

{_table(results)}
"""


if __name__ == "__main__":
    sys.exit(main())
