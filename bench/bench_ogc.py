"""OGC API - Features: this API against tipg and pygeoapi, its OGC and share paths against its registry's, and the feed.

    .venv/bin/python -m bench.bench_ogc --db10k URL --db1m URL [--seconds 10] [--report-only]

The three servers read the same PostGIS table in the same database in the same run (any port: the
database's is taken from its URL, the servers get free ones; tipg and pygeoapi are installed by
bench/peers.py from pinned lists). Ours reads `station` (public scope: core/recommended, not
closed); pygeoapi (PostgreSQL provider, under uvicorn) and tipg (under uvicorn) read the view
`ogc_station` holding exactly those rows. Each has 2 workers. Load: wrk -t2 -c8 for each case, the
servers taking turns case by case. Cases against the peers: the first page of 100; a bbox page of
100 (random 0.5 degree boxes around public stations); one item by id; a deep page of 100 (from
50-95% of the way through: ours by keyset cursor, the others by offset, as each API pages); a CQL2
attribute filter (`network = 'national' AND elevation_m > 100`); a CQL2 spatial filter
(S_INTERSECTS with the bbox case's boxes written as polygons); the first page in VN-2000 / UTM 48N
(crs=EPSG:3405; tipg serves no other CRS than WGS84, so it has no cell there). Then this API's own
paths for the same rows: one registry station (/api/v1/stations/{id}, admin key) against one OGC
item (public) and one share item (partner key); the registry page of 100 (GeoJSON) against the OGC
page, public and with a partner key (a partner's pages are OGC pages of its agreement:
/share/v1/stations is one streamed export, not paged). The partners' full change-feed sync is bench/bench_feed.py's (`## Change
feed`), run in the same session.
"""

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bench.harness import (
    Stats,
    admin_key,
    check_paths,
    load_average,
    machine,
    progress,
    replace_section,
    save_json,
)
from bench.ogc_report import report
from bench.ogc_servers import partner_key, samples, servers, wrk
from domain.db.engine import sqlalchemy_url
from domain.settings import Settings
from domain.sharing.rules import encode_token

ROOT = Path(__file__).resolve().parent.parent
PEER_CASES = [
    "page of 100", "bbox page of 100", "one item", "deep page of 100",
    "CQL2 attribute filter", "CQL2 spatial filter", "crs=EPSG:3405 page",
]  # fmt: skip
OWN_CASES = {  # case -> (path kind, key)
    "one registry station (admin key)": ("station", "admin"),
    "one OGC item (public)": ("ogc item", None),
    "one share item (partner key)": ("share item", "partner"),
    "registry page of 100 (GeoJSON, admin key)": ("registry page", "admin"),
    "OGC page of 100 (public)": ("ogc page", None),
    "partner page of 100 (OGC, partner key)": ("ogc page", "partner"),
}
ITEMS = {"this API": "/ogc/collections/stations/items", "tipg": "/collections/public.ogc_station/items",
         "pygeoapi": "/collections/stations/items"}  # fmt: skip
EPSG_3405 = "http://www.opengis.net/def/crs/EPSG/0/3405"
ATTRIBUTE_FILTER = "network = 'national' AND elevation_m > 100"


def _polygon(box: str) -> str:
    w, s, e, n = box.split(",")
    return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


def _filter_paths(server: str, case: str, s: dict[str, Any]) -> list[str]:
    items, f = ITEMS[server], "&f=json" if server == "pygeoapi" else ""
    lang = "&filter-lang=cql2-text" if server != "pygeoapi" else "&filter-lang=cql-text"
    if case == "CQL2 attribute filter":
        return [f"{items}?limit=100&filter={quote(ATTRIBUTE_FILTER)}{lang}{f}"]
    if case == "CQL2 spatial filter":
        # pygeoapi reads cql-text as ECQL (pygeofilter), where the same predicate is spelled INTERSECTS
        op = {"this API": "S_INTERSECTS(geometry", "tipg": "S_INTERSECTS(location"}.get(
            server, "INTERSECTS(location"
        )
        return [f"{items}?limit=100&filter={quote(f'{op},{_polygon(b)})')}{lang}{f}" for b in s["boxes"]]
    if server == "tipg":
        return []
    crs = "EPSG:3405" if server == "this API" else quote(EPSG_3405, safe="")
    return [f"{items}?limit=100&crs={crs}{f}"]


def peer_paths(server: str, case: str, s: dict[str, Any]) -> list[str]:
    """Return the request paths of one case on one server (none when the server cannot serve it)."""
    items, f = ITEMS[server], "&f=json" if server == "pygeoapi" else ""
    if case == "page of 100":
        return [f"{items}?limit=100{f}"]
    if case == "bbox page of 100":
        return [f"{items}?limit=100&bbox={box}{f}" for box in s["boxes"]]
    if case == "one item":
        return [f"{items}/{i}?{f.lstrip('&')}" for i in s["ids"]]
    if case == "deep page of 100":
        if server == "this API":
            return [
                f"{items}?limit=100&cursor={encode_token('o1', json.dumps([None, key]))}"
                for _, key in s["deep"]
            ]
        return [f"{items}?limit=100&offset={pos}{f}" for pos, _ in s["deep"]]
    return _filter_paths(server, case, s)


def own_paths(kind: str, s: dict[str, Any]) -> list[str]:
    """Return the request paths of one of this API's own cases."""
    return {
        "station": [f"/api/v1/stations/{i}" for i in s["ids"]],
        "ogc item": [f"{ITEMS['this API']}/{i}" for i in s["ids"]],
        "share item": [f"/share/v1/stations/{i}" for i in s["ids"]],
        "registry page": ["/api/v1/stations?f=geojson&limit=100"],
        "ogc page": [f"{ITEMS['this API']}?limit=100"],
    }[kind]


def measure(base: str, ps: list[str], seconds: int, headers: dict[str, str]) -> tuple[Stats, int]:
    """Warm up, then load one server with one case's paths; a server that finished nothing gets one timed request."""
    wrk(base, ps, 2, headers)
    stats, errors = wrk(base, ps, seconds, headers)
    if stats.requests == 0:
        t0 = time.perf_counter()
        httpx.get(base + ps[0], headers=headers, timeout=600).raise_for_status()
        alone = (time.perf_counter() - t0) * 1000
        stats = Stats(alone, alone, 0.0, 0, 1)
    return stats, errors


def _answers(base: str, headers: dict[str, str], path: str) -> bool:
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        return client.get(path).status_code == 200


def run_size(label: str, url: str, seconds: int, workdir: Path, rng: random.Random) -> dict[str, Any]:
    """Measure every case at one dataset size."""
    s = samples(url, rng)
    settings = Settings(database_url=sqlalchemy_url(url))  # type: ignore[arg-type]
    keys = {"admin": admin_key(settings, "bench_ogc")[0], "partner": partner_key(url)}
    progress(f"{label}: {s['total']:,} public stations in ogc_station")
    results: dict[str, dict[str, Stats | None]] = {}
    failed: dict[str, dict[str, int]] = {}
    load = load_average()
    with servers(url, workdir) as bases:
        for case in PEER_CASES:
            results[case], failed[case] = {}, {}
            for server, base in bases.items():
                ps = peer_paths(server, case, s)
                if not ps:
                    results[case][server] = None
                    continue
                check_paths(base, {}, ps[:1], "json")
                stats, failed[case][server] = measure(base, ps, seconds, {})
                results[case][server] = stats
                progress(f"  {case:<24} {server:<9} p50 {stats.p50_ms:8.2f} ms  {stats.rps:8.1f} req/s")
        own: dict[str, Stats | None] = {}
        for case, (kind, key) in OWN_CASES.items():
            headers = {"Authorization": f"Bearer {keys[key]}"} if key else {}
            ps = own_paths(kind, s)
            if not _answers(bases["this API"], headers, ps[0]):
                own[case] = None
                progress(f"  {case:<42} not served")
                continue
            own[case] = measure(bases["this API"], ps, seconds, headers)[0]
            progress(f"  {case:<42} p50 {own[case].p50_ms:8.2f} ms  {own[case].rps:8.1f} req/s")  # type: ignore[union-attr]
    return {"public_stations": s["total"], "load": load, "load_after": load_average(), "results": results,
            "failed": failed, "own": own}  # fmt: skip


def _stats(d: dict[str, Any] | None) -> Stats | None:
    return None if d is None else Stats(**d)


def _decode(saved: dict[str, Any]) -> dict[str, Any]:
    return {
        label: v | {
            "results": {c: {s: _stats(st) for s, st in by.items()} for c, by in v["results"].items()},
            "own": {c: _stats(st) for c, st in v.get("own", {}).items()},
        }
        for label, v in saved.items()
    }  # fmt: skip


def _encode(sizes: dict[str, Any]) -> dict[str, Any]:
    def enc(st: Stats | None) -> dict[str, Any] | None:
        return None if st is None else vars(st)

    return {
        label: v | {
            "results": {c: {s: enc(st) for s, st in by.items()} for c, by in v["results"].items()},
            "own": {c: enc(st) for c, st in v["own"].items()},
        }
        for label, v in sizes.items()
    }  # fmt: skip


def main() -> int:
    """Run the comparison at each size and write RESULTS.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db10k")
    parser.add_argument("--db1m")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from ogc.json")
    args = parser.parse_args()
    stored = ROOT / "bench" / "results" / "ogc.json"
    if args.report_only:
        saved = json.loads(stored.read_text())
        replace_section(
            "OGC API - Features",
            report(saved["machine"], _decode(saved["sizes"]), __doc__, args.seconds),
        )
        return 0
    rng, facts = random.Random(704), machine()
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, url in (("10k", args.db10k), ("1M", args.db1m)):
            if url:
                sizes[label] = run_size(label, url, args.seconds, Path(tmp), rng)
    save_json(stored, {"machine": facts, "sizes": _encode(sizes)})
    replace_section("OGC API - Features", report(facts, sizes, __doc__, args.seconds))
    progress("wrote bench/RESULTS.md (## OGC API - Features) and bench/results/ogc.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
