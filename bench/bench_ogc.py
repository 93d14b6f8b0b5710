"""OGC API - Features items: this API against pygeoapi and tipg, and a full change-feed sync.

    .venv/bin/python -m bench.bench_ogc --db10k URL --db1m URL [--seconds 10] [--no-feed] [--report-only]

The three servers read the same PostGIS table in the same database in the same run: ours reads
`station` (public scope: core/recommended, not closed); pygeoapi (PostgreSQL provider, under
uvicorn) and tipg (under uvicorn) read the view `ogc_station` holding exactly those rows. Each has
2 workers and its own venv (/tmp/venv-pygeoapi, /tmp/venv-tipg). Load: wrk -t2 -c8 for each case,
the servers taking turns case by case. Cases: the first page of 100; a bbox page of 100 (random
0.5 degree boxes around public stations); one item by id; a deep page of 100 (from 50-95% of the
way through: ours by keyset cursor, the others by offset, as each API pages). Then, at the largest
size, a partner follows /share/v1/changes from zero with pages of 1000 until caught up: time,
events, and the peak memory of the server workers and of the client.
"""

import argparse
import json
import os
import random
import re
import resource
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.harness import LUA, Stats, check_paths, load_average, machine, progress, replace_section, save_json
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.sharing.ogc import NUMBER_MATCHED_CAP
from domain.sharing.rules import encode_token

ROOT = Path(__file__).resolve().parent.parent
PORTS = {"this API": 18081, "tipg": 18082, "pygeoapi": 18083}
PUBLIC = "data_policy IN ('core', 'recommended') AND status <> 'closed'"
COLUMNS = (
    "id, national_code, name, network, legal_basis, station_types, automation, status, elevation_m, "
    "wigos_ids, owner, operator, data_policy, province, river, basin, variables, closed_date, "
    "close_reason, successor_id, created_at, updated_at, revision, location"
)
VIEW = f"CREATE OR REPLACE VIEW ogc_station AS SELECT {COLUMNS} FROM station WHERE {PUBLIC}"
CASES = ["page of 100", "bbox page of 100", "one item", "deep page of 100"]
PYGEOAPI_CONFIG = """
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: en-US
  limits: {{default_items: 10, max_items: 1000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: 'OSM'}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme,
                   terms_of_service: none, url: 'http://example.org'}}
  license: {{name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}}
  provider: {{name: bench, url: 'http://example.org'}}
  contact: {{name: bench, position: bench, address: x, city: x, stateorprovince: x, postalcode: x,
            country: VN, phone: x, fax: x, email: x@example.org, url: 'http://example.org',
            hours: x, instructions: x, role: pointOfContact}}
resources:
  stations:
    type: collection
    title: Stations
    description: public stations
    keywords: [stations]
    extents: {{spatial: {{bbox: [100.8, 5.4, 118.0, 23.7], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: 127.0.0.1, port: {pgport}, dbname: {dbname}, user: postgres, password: '', search_path: [public]}}
        id_field: id
        table: ogc_station
        geom_field: location
        storage_crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
        crs: [http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4326,
              http://www.opengis.net/def/crs/EPSG/0/3405]
"""


@contextmanager
def serve(cmd: list[str], env: dict[str, str], port: int, ready: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server in its own process group until `ready` answers 200; stop the group after."""
    proc = subprocess.Popen(cmd, env=os.environ | env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=60).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd} did not come up")
            time.sleep(0.5)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def uvicorn(venv: str, app: str, port: int, *factory: str) -> list[str]:
    return [f"{venv}/bin/uvicorn", app, *factory, "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
            "--no-access-log", "--log-level", "warning"]  # fmt: skip


@contextmanager
def servers(url: str, workdir: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Start the three servers on the same database; yield their processes."""
    dsn = libpq_url(url)
    dbname = dsn.rsplit("/", 1)[1]
    config = workdir / "pygeoapi.yml"
    pgport = psycopg.conninfo.conninfo_to_dict(dsn).get("port") or 5432
    config.write_text(PYGEOAPI_CONFIG.format(port=PORTS["pygeoapi"], pgport=pgport, dbname=dbname))
    openapi = workdir / "pygeoapi-openapi.yml"
    gen = [
        "/tmp/venv-pygeoapi/bin/pygeoapi",
        "openapi",
        "generate",
        str(config),
        "--output-file",
        str(openapi),
    ]
    subprocess.run(gen, check=True, capture_output=True, env=os.environ | {"PYGEOAPI_CONFIG": str(config)})
    with ExitStack() as stack:
        procs = {
            "this API": stack.enter_context(serve(
                uvicorn(str(ROOT / ".venv"), "api.main:create_app", PORTS["this API"], "--factory"),
                {"HYDROMET_DATABASE_URL": sqlalchemy_url(url), "HYDROMET_RATE_LIMIT_PER_MINUTE": "100000000"},
                PORTS["this API"], "/ogc/conformance")),
            "tipg": stack.enter_context(serve(
                uvicorn("/tmp/venv-tipg", "tipg.main:app", PORTS["tipg"]),
                {"DATABASE_URL": dsn, "TIPG_DB_TABLES": '["public.ogc_station"]', "TIPG_MAX_FEATURES_PER_QUERY": "1000"},
                PORTS["tipg"], "/collections")),
            "pygeoapi": stack.enter_context(serve(
                uvicorn("/tmp/venv-pygeoapi", "pygeoapi.starlette_app:APP", PORTS["pygeoapi"]),
                {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)},
                PORTS["pygeoapi"], "/collections?f=json")),
        }  # fmt: skip
        yield procs


def wrk(base: str, paths: list[str], seconds: int) -> tuple[Stats, int]:
    """Load a server with wrk -t2 -c8 cycling through paths; return its stats and failed requests.

    Unlike bench.harness.wrk this does not stop on errors: a server that times out (30 s) is a result.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(paths) + "\n")
        listing.flush()
        cmd = [
            "wrk",
            "-c8",
            "-t2",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            base,
            "--",
            listing.name,
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(re.search(r"^RESULT (\{.*\})$", out, re.M)[1])  # type: ignore[index]
    stats = Stats(
        r["p50_us"] / 1000, r["p95_us"] / 1000, r["requests"] / (r["duration_us"] / 1e6), r["requests"], 8
    )
    return stats, int(r["errors"] + r["status_errors"])


def samples(url: str, rng: random.Random) -> dict[str, Any]:
    """Create the view; pick ids, 0.5 degree boxes around stations, and deep positions with their keys."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(VIEW)
        total = conn.execute("SELECT count(*) FROM ogc_station").fetchone()[0]  # type: ignore[index]
        rows = conn.execute(
            f"SELECT id::text, ST_X(location), ST_Y(location) FROM station TABLESAMPLE SYSTEM (5) WHERE {PUBLIC} LIMIT 300"
        ).fetchall()
        positions = sorted(rng.randrange(total // 2, total * 95 // 100) for _ in range(30))
        keys = conn.execute(
            "SELECT national_code FROM (SELECT national_code, row_number() OVER (ORDER BY national_code) - 1 AS n"
            " FROM ogc_station) ranked WHERE n = ANY(%s) ORDER BY n",
            (positions,),
        ).fetchall()  # fmt: skip
    boxes = [f"{x - 0.25:.4f},{y - 0.25:.4f},{x + 0.25:.4f},{y + 0.25:.4f}" for _, x, y in rows]
    return {
        "total": total,
        "ids": [r[0] for r in rows],
        "boxes": boxes,
        "deep": list(zip(positions, [k[0] for k in keys], strict=True)),
    }


def paths(server: str, case: str, s: dict[str, Any]) -> list[str]:
    """Return the request paths of one case on one server."""
    items = {"this API": "/ogc/collections/stations/items", "tipg": "/collections/public.ogc_station/items",
             "pygeoapi": "/collections/stations/items"}[server]  # fmt: skip
    f = "&f=json" if server == "pygeoapi" else ""
    if case == "page of 100":
        return [f"{items}?limit=100{f}"]
    if case == "bbox page of 100":
        return [f"{items}?limit=100&bbox={box}{f}" for box in s["boxes"]]
    if case == "one item":
        return [f"{items}/{i}?{f.lstrip('&')}" for i in s["ids"]]
    if server == "this API":
        return [f"{items}?limit=100&cursor={encode_token('o1', key)}" for _, key in s["deep"]]
    return [f"{items}?limit=100&offset={pos}{f}" for pos, _ in s["deep"]]


def run_size(label: str, url: str, seconds: int, workdir: Path, rng: random.Random) -> dict[str, Any]:
    """Measure every case on every server at one dataset size."""
    s = samples(url, rng)
    progress(f"{label}: {s['total']:,} public stations in ogc_station")
    results: dict[str, dict[str, Stats]] = {case: {} for case in CASES}
    failed: dict[str, dict[str, int]] = {case: {} for case in CASES}
    load = load_average()
    with servers(url, workdir):
        for case in CASES:
            for server, port in PORTS.items():
                base, ps = f"http://127.0.0.1:{port}", paths(server, case, s)
                check_paths(base, {}, ps[:1], "json")
                wrk(base, ps, 2)  # warm-up
                stats, errors = wrk(base, ps, seconds)
                if stats.requests == 0:  # nothing finished: time one request alone, for the record
                    t0 = time.perf_counter()
                    httpx.get(base + ps[0], timeout=600).raise_for_status()
                    alone = (time.perf_counter() - t0) * 1000
                    stats = Stats(alone, alone, 0.0, 0, 1)
                results[case][server], failed[case][server] = stats, errors
                progress(
                    f"  {case:<18} {server:<9} p50 {stats.p50_ms:8.2f} ms  {stats.rps:8.1f} req/s  {errors} failed"
                )
    return {"public_stations": s["total"], "load": load, "results": results, "failed": failed}


def partner_key(url: str) -> str:
    """Create a partner organization whose agreement covers all public data; return a fresh key."""
    from sqlmodel import Session

    from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind, Role
    from domain.access.service import create_key, ensure_organization
    from domain.db.engine import make_engine
    from domain.settings import Settings
    from domain.sharing.models import ShareGrantWrite
    from domain.sharing.service import grant_partner_access

    engine = make_engine(Settings(database_url=sqlalchemy_url(url)))  # type: ignore[arg-type]
    with Session(engine) as session:
        ensure_organization(
            session,
            data=OrganizationCreate(code="BENCH-PARTNER", name="bench", kind=OrganizationKind.partner),
        )
        session.commit()
        grant_partner_access(session, principal=SYSTEM, organization="BENCH-PARTNER", data=ShareGrantWrite())
        _, secret = create_key(session, organization="BENCH-PARTNER", role=Role.partner)
    engine.dispose()
    return secret


def peak_rss_mb(pid: int) -> float:
    """Return the largest peak resident memory (VmHWM) among a process's children, in MB."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    peaks = [0.0]
    for child in children:
        status = Path(f"/proc/{child}/status").read_text()
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")]
    return max(peaks)


def feed_sync(url: str) -> dict[str, Any]:
    """Follow the change feed from zero to the end as a partner; time it and take peak memories."""
    key, copy, events, pages = partner_key(url), set(), 0, 0
    env = {"HYDROMET_DATABASE_URL": sqlalchemy_url(url), "HYDROMET_RATE_LIMIT_PER_MINUTE": "100000000"}
    cmd = uvicorn(str(ROOT / ".venv"), "api.main:create_app", PORTS["this API"], "--factory")
    with serve(cmd, env, PORTS["this API"], "/ogc/conformance") as proc:
        headers, after = {"Authorization": f"Bearer {key}"}, None
        start = time.perf_counter()
        with httpx.Client(
            base_url=f"http://127.0.0.1:{PORTS['this API']}", headers=headers, timeout=300
        ) as client:
            while True:
                r = client.get(
                    "/share/v1/changes", params={"limit": 1000} | ({"after": after} if after else {})
                )
                r.raise_for_status()
                body, pages = r.json(), pages + 1
                for e in body["items"]:
                    (copy.add if e["op"] == "upsert" else copy.discard)(e["station_id"])
                events, after = events + len(body["items"]), body["next_cursor"]
                if not body["items"]:
                    break
        elapsed = time.perf_counter() - start
        server_mb = peak_rss_mb(proc.pid)
    client_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    progress(f"feed sync: {events:,} events in {pages} pages, {elapsed:.1f} s; {len(copy):,} stations")
    return {"events": events, "pages": pages, "seconds": elapsed, "stations": len(copy),
            "server_peak_mb": server_mb, "client_peak_mb": client_mb}  # fmt: skip


TARGETS = {("1M", "page of 100"): 10.0, ("1M", "deep page of 100"): 10.0, ("1M", "bbox page of 100"): 5.0}


def size_table(label: str, data: dict[str, Any], seconds: int) -> str:
    """Return the markdown table of one size, with the ratio to tipg and pygeoapi (by req/s)."""
    lines = [
        f"### {label} stations ({data['public_stations']:,} public; load average before: {data['load']})", "",
        "| case | this API p50 ms | tipg p50 ms | pygeoapi p50 ms | this API req/s | tipg req/s | pygeoapi req/s "
        "| x tipg | x pygeoapi | target x tipg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]  # fmt: skip
    for case, by in data["results"].items():
        ours, tipg, pyg = by["this API"], by["tipg"], by["pygeoapi"]
        want = TARGETS.get((label, case), 1.0)
        (tipg_x, tipg_floor), (pyg_x, _) = ratio(ours, tipg, seconds), ratio(ours, pyg, seconds)
        failures = {k: v for k, v in data["failed"][case].items() if v}
        verdict = f">= {want:g}x: {'met' if tipg_floor >= want else 'NOT met'}"
        lines.append(
            f"| {case} | {ours.p50_ms:.2f} | {cell(tipg)} | {cell(pyg)} | {ours.rps:.0f} | {rate(tipg)} "
            f"| {rate(pyg)} | {tipg_x} | {pyg_x} | {verdict}"
            + (f"; failed (timeouts/errors): {failures}" if failures else "")
            + " |"
        )
    return "\n".join(lines)


def cell(stats: Stats) -> str:
    """Return the p50 cell; a server that finished nothing under load shows one lone request's time."""
    return f"{stats.p50_ms:.2f}" if stats.requests else f"{stats.p50_ms:.0f} (alone)"


def rate(stats: Stats) -> str:
    return f"{stats.rps:.1f}" if stats.requests else "0"


def ratio(ours: Stats, other: Stats, seconds: int) -> tuple[str, float]:
    """Return our throughput over the other's as text, and its value (a lower bound when it finished nothing).

    If 8 connections finished no request in `seconds`, the other's throughput was below 8 / seconds.
    """
    if other.requests:
        value = ours.rps / other.rps
        return f"{value:.1f}x", value
    floor = ours.rps / (8 / seconds)
    return f"> {floor:.0f}x", floor


def report(facts: dict[str, str], sizes: dict[str, Any], feed: dict[str, Any] | None, seconds: int) -> str:
    """Return the `## OGC API - Features` section."""
    parts = [
        f"Date: {facts['date']}. Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']} RAM, "
        f"{facts['os']}, Python {facts['python']}; PostgreSQL 15 + PostGIS 3 on the same cores, shared with "
        "other sessions (see the load averages).",
        "",
        "Run with `.venv/bin/python -m bench.bench_ogc --db10k URL --db1m URL` (the tables grown with "
        "`bench/generate.py`). " + __doc__.split("\n\n", 2)[2].replace("\n", " ").strip(),
        "",
        f"Each cell: `wrk -t2 -c8 -d{seconds}s` after a 2 s warm-up, through 300 ids / 300 boxes / 30 deep "
        "positions cycled. x tipg = this API's req/s over tipg's. numberMatched: this API counts at most "
        f"{NUMBER_MATCHED_CAP:,} rows and leaves it out above that; tipg and pygeoapi count every match on every page. "
        "pygeoapi 0.21 (uvicorn, Starlette app), tipg 1.6 (uvicorn), 2 workers each.",
    ]
    parts += ["", *(size_table(label, data, seconds) + "\n" for label, data in sizes.items())]
    if feed is not None:
        parts += [
            "### Full change-feed sync, 1,000,000 stations", "",
            "A partner whose agreement covers all public data follows `/share/v1/changes?limit=1000` from zero "
            "until an empty page (one revision per station; every request authenticated, rate-checked and counted). "
            f"Run: {feed.get('date', 'an earlier run')}. Client peak RSS is the whole benchmark process, which "
            "keeps the set of station ids it was told to hold.", "",
            "| events | pages | seconds | events/s | stations in the copy | server worker peak RSS MB | client peak RSS MB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {feed['events']:,} | {feed['pages']} | {feed['seconds']:.1f} | {feed['events'] / feed['seconds']:,.0f} "
            f"| {feed['stations']:,} | {feed['server_peak_mb']:.0f} | {feed['client_peak_mb']:.0f} |",
        ]  # fmt: skip
    return "\n".join(parts)


def main() -> int:
    """Run the comparison at each size, then the feed sync, and write RESULTS.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db10k")
    parser.add_argument("--db1m")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--no-feed", action="store_true", help="keep the feed result of an earlier run")
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from ogc.json")
    args = parser.parse_args()
    stored = ROOT / "bench" / "results" / "ogc.json"
    if args.report_only:
        saved = json.loads(stored.read_text())
        sizes = {k: v | {"results": {c: {s: Stats(**st) for s, st in by.items()} for c, by in v["results"].items()}}
                 for k, v in saved["sizes"].items()}  # fmt: skip
        replace_section("OGC API - Features", report(saved["machine"], sizes, saved["feed"], args.seconds))
        return 0
    rng, facts = random.Random(704), machine()
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, url in (("10k", args.db10k), ("1M", args.db1m)):
            sizes[label] = run_size(label, url, args.seconds, Path(tmp), rng)
    old = json.loads(stored.read_text()).get("feed") if stored.exists() else None
    feed = old if args.no_feed else feed_sync(args.db1m) | {"date": facts["date"]}
    save_json(ROOT / "bench" / "results" / "ogc.json", {
        "machine": facts, "sizes": {k: v | {"results": {c: {s: vars(st) for s, st in by.items()} for c, by in v["results"].items()}}
                                     for k, v in sizes.items()}, "feed": feed})  # fmt: skip
    replace_section("OGC API - Features", report(facts, sizes, feed, args.seconds))
    progress("wrote bench/RESULTS.md (## OGC API - Features) and bench/results/ogc.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
