"""OGC API - Features Part 2/3 cases: this API against tipg and pygeoapi, with bench_ogc's servers.

    .venv/bin/python -m bench.bench_ogc_filters --db URL [--label 10k] [--seconds 10]

Cases, each a page of 100 public stations: a CQL2 attribute filter (`network = 'national' AND
elevation_m > 100`); a CQL2 spatial filter (S_INTERSECTS with random 0.5 degree polygons around
public stations, the boxes of bench_ogc's bbox case written as polygons); the first page in
VN-2000 / UTM 48N (crs=EPSG:3405). tipg serves no other CRS than WGS84, so it has no cell in the
last case. Same servers, workers, database and wrk settings as bench_ogc.
"""

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.bench_ogc import PORTS, samples, servers, wrk
from bench.harness import Stats, check_paths, load_average, machine, progress, replace_section

CASES = ["CQL2 attribute filter", "CQL2 spatial filter", "crs=EPSG:3405 page"]
ITEMS = {"this API": "/ogc/collections/stations/items", "tipg": "/collections/public.ogc_station/items",
         "pygeoapi": "/collections/stations/items"}  # fmt: skip
EPSG_3405 = "http://www.opengis.net/def/crs/EPSG/0/3405"


def _polygon(box: str) -> str:
    w, s, e, n = box.split(",")
    return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


def paths(server: str, case: str, s: dict[str, Any]) -> list[str]:
    """Return the request paths of one case on one server (none when the server cannot serve it)."""
    items, f = ITEMS[server], "&f=json" if server == "pygeoapi" else ""
    lang = "&filter-lang=cql2-text" if server != "pygeoapi" else "&filter-lang=cql-text"
    if case == "CQL2 attribute filter":
        text = quote("network = 'national' AND elevation_m > 100")
        return [f"{items}?limit=100&filter={text}{lang}{f}"]
    if case == "CQL2 spatial filter":
        geom = "geometry" if server == "this API" else "location"
        return [
            f"{items}?limit=100&filter={quote(f'S_INTERSECTS({geom},{_polygon(b)})')}{lang}{f}"
            for b in s["boxes"]
        ]
    if server == "tipg":
        return []
    crs = "EPSG:3405" if server == "this API" else quote(EPSG_3405, safe="")
    return [f"{items}?limit=100&crs={crs}{f}"]


def run(url: str, seconds: int) -> dict[str, Any]:
    """Measure every case on every server that can serve it."""
    s = samples(url, random.Random(704))
    results: dict[str, dict[str, Stats | None]] = {case: {} for case in CASES}
    load = load_average()
    with tempfile.TemporaryDirectory() as tmp, servers(url, Path(tmp)):
        for case in CASES:
            for server, port in PORTS.items():
                base, ps = f"http://127.0.0.1:{port}", paths(server, case, s)
                if not ps:
                    results[case][server] = None
                    continue
                check_paths(base, {}, ps[:1], "json")
                wrk(base, ps, 2)
                results[case][server] = wrk(base, ps, seconds)[0]
                stats = results[case][server]
                assert stats is not None
                progress(f"  {case:<22} {server:<9} p50 {stats.p50_ms:8.2f} ms  {stats.rps:8.1f} req/s")
    return {"public_stations": s["total"], "load": load, "results": results}


def _cell(stats: Stats | None) -> tuple[str, str]:
    return ("n/a", "n/a") if stats is None else (f"{stats.p50_ms:.2f}", f"{stats.rps:.1f}")


def _ratio(ours: Stats | None, other: Stats | None) -> str:
    return "n/a" if ours is None or other is None or not other.rps else f"{ours.rps / other.rps:.1f}x"


def report(facts: dict[str, str], label: str, data: dict[str, Any], seconds: int) -> str:
    """Return the `## OGC API - Features: filters and CRS` section."""
    lines = [
        f"Date: {facts['date']}. Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']} RAM, "
        f"{facts['os']}, Python {facts['python']}; PostgreSQL 15 + PostGIS 3 on the same cores, shared with other "
        "sessions.", "",
        "Run with `.venv/bin/python -m bench.bench_ogc_filters --db URL`. " + __doc__.split("\n\n", 2)[2].replace("\n", " ").strip(),
        f"Each cell: `wrk -t2 -c8 -d{seconds}s` after a 2 s warm-up.", "",
        f"### {label} stations ({data['public_stations']:,} public; load average before: {data['load']})", "",
        "| case | this API p50 ms | tipg p50 ms | pygeoapi p50 ms | this API req/s | tipg req/s | pygeoapi req/s | x tipg | x pygeoapi |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]  # fmt: skip
    for case, by in data["results"].items():
        ours, tipg, pyg = by["this API"], by["tipg"], by["pygeoapi"]
        (o50, ors), (t50, trs), (p50, prs) = _cell(ours), _cell(tipg), _cell(pyg)
        lines.append(
            f"| {case} | {o50} | {t50} | {p50} | {ors} | {trs} | {prs} | {_ratio(ours, tipg)} | {_ratio(ours, pyg)} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Run the cases at one size and write RESULTS.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--label", default="10k")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    data = run(args.db, args.seconds)
    replace_section("OGC API - Features: filters and CRS", report(machine(), args.label, data, args.seconds))
    progress("wrote bench/RESULTS.md (## OGC API - Features: filters and CRS)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
