"""Mixed load for 60 s against the API served as deployed (uvicorn, 2 workers), from a second process.

    .venv/bin/python -m bench.load [--stations 20k] [--seconds 60] [--connections 16] [--keep-db]
    .venv/bin/python -m bench.load --replica ...   two API nodes and a hot standby (bench/load_replicas.py)

Builds its own database (hydromet_reliability_load on the local cluster: migrated, organizations and
provinces, N synthetic stations from bench/generate.py), makes a viewer, an editor and a partner key
(with a sharing agreement), serves the API with `hydromet serve --workers 2` on 127.0.0.1:18100 and
drives it with `wrk` (C, one connection per thread; bounded in time) through a generated Lua script:
35% reads of one station, 15% list pages, 15% name searches (q=), 15% bbox queries, 10% partner
change-feed polling (each connection follows its own cursor), 10% writes (register a station, then
PATCH it with its ETag). A 10 s warm-up is not counted. Records p50/p95/p99, requests/s, errors per
kind, CPU use and the server's RSS (master + workers) sampled every 5 s, in the `## Load` section of
bench/RESULTS.md. Exits 1 when any request failed or memory grew. Drops its database at the end.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlmodel import Session

from bench import generate
from bench.harness import machine, replace_section
from domain.access.models import OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization
from domain.db.engine import libpq_url, make_engine
from domain.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DB_URL = "postgresql+psycopg://postgres@127.0.0.1:55432/hydromet_reliability_load"
PORT = 18100
MIX = {"get": 35, "list": 15, "search": 15, "bbox": 15, "feed": 10, "write": 10}
RSS_EVERY_S = 5.0
GROWTH_LIMIT = 0.10  # worker RSS may grow at most 10% from the first sample after warm-up

LUA = Path(__file__).with_name("load.lua")  # the wrk script; __GET__ etc. are filled from MIX


def lua_script() -> str:
    """Return the Lua script with the cumulative thresholds of MIX filled in."""
    script, total = LUA.read_text(), 0
    for name in ("get", "list", "search", "bbox", "feed"):
        total += MIX[name]
        script = script.replace(f"__{name.upper()}__", str(total))
    return script


def progress(text: str) -> None:
    print(text, flush=True)


def prepare_database(url: str, stations: int) -> None:
    """Drop any earlier copy of our database, then migrate, seed organizations/provinces and grow."""
    with psycopg.connect(libpq_url(url.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")  # type: ignore[arg-type]
    generate.setup(url)
    generate.grow(url, stations)


def drop_database(url: str) -> None:
    with psycopg.connect(libpq_url(url.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")  # type: ignore[arg-type]


def make_keys(url: str) -> dict[str, str]:
    """Create the viewer and editor (NCHMF) and the partner (LOADP) keys of the run."""
    engine = make_engine(Settings(database_url=url))  # type: ignore[arg-type]
    with Session(engine) as s:
        partner = OrganizationCreate(code="LOADP", name="Load partner", kind=OrganizationKind.partner)
        ensure_organization(s, data=partner)
        s.commit()
        found = {
            "viewer": create_key(s, organization="NCHMF", role=Role.viewer, label="load")[1],
            "editor": create_key(s, organization="NCHMF", role=Role.editor, label="load")[1],
            "partner": create_key(s, organization="LOADP", role=Role.partner, label="load")[1],
            "admin": create_key(s, organization="NCHMF", role=Role.admin, label="load")[1],
        }
    engine.dispose()
    return found


def request_data(url: str, workdir: Path, keys: dict[str, str], feed: bool) -> None:
    """Write the ids, search terms, boxes, land points and config the Lua script reads."""
    rng = random.Random(704)
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT id::text, name, ST_X(location), ST_Y(location), province IS NOT NULL FROM station "
            "WHERE data_policy <> 'restricted' ORDER BY id"
        ).fetchall()
    sample = rng.sample(rows, min(2000, len(rows)))
    land = [r for r in sample if r[4]]
    terms = {urllib.parse.quote(r[1].split()[-1]) for r in sample[:300]}
    boxes = [f"{r[2] - 0.25:.3f},{r[3] - 0.25:.3f},{r[2] + 0.25:.3f},{r[3] + 0.25:.3f}" for r in land[:300]]
    files = {
        "ids": [r[0] for r in sample],
        "terms": sorted(terms),
        "boxes": boxes,
        "points": [f"{r[2]:.5f}, {r[3]:.5f}" for r in land[:300]],
        "config": [f"{k}={v}" for k, v in keys.items()] + ["org=NCHMF", "seed=704", f"feed={int(feed)}"],
    }
    for name, lines in files.items():
        (workdir / name).write_text("\n".join(lines) + "\n")
    os.chmod(workdir / "config", 0o600)


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    base: str
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)


def serve(url: str, log: Path, port: int = PORT, workers: int = 2, read_urls: str = "") -> Served:
    """Start `hydromet serve --workers N` on 127.0.0.1:port and wait until it answers."""
    env = dict(os.environ, HYDROMET_DATABASE_URL=url, HYDROMET_PORT=str(port), HYDROMET_HOST="127.0.0.1",
               HYDROMET_WORKERS=str(workers), HYDROMET_LOG_LEVEL="WARNING", HYDROMET_DB_POOL_SIZE="8",
               HYDROMET_RATE_LIMIT_PER_MINUTE="100000000", HYDROMET_DATABASE_READ_URLS=read_urls)  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ROOT / ".venv/bin/hydromet"), "serve"], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    served = Served(proc, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(served.base + "/health", timeout=2).status_code == 200 and len(
                server_pids(served)
            ) >= (3 if workers > 1 else 1):
                return served
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    raise RuntimeError("the server did not start in 60 s")


def stop(served: Served) -> None:
    if served.proc.poll() is None:
        os.killpg(served.proc.pid, signal.SIGTERM)  # the process group this script started
        try:
            served.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(served.proc.pid, signal.SIGKILL)
            served.proc.wait()


def server_pids(served: Served) -> list[int]:
    """Return the server's master and its worker processes (all of its process group)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[2]) == served.proc.pid:  # field 5: process group id
                pids.append(int(entry.name))
    return pids


def rss_kb(pids: list[int]) -> dict[int, int]:
    found = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found[pid] = int(next(ln.split()[1] for ln in text.splitlines() if ln.startswith("VmRSS")))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """Return user+system CPU seconds used so far by these processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def busy_share() -> tuple[float, float]:
    """Return (busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def wrk(base: str, workdir: Path, seconds: int, connections: int, tag: str) -> dict[str, Any]:
    """Run wrk with the generated script and return its RESULT line."""
    script = workdir / "load.lua"
    script.write_text(lua_script())
    cmd = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
           base, "--", str(workdir), f"{os.getpid() % 100000}{tag}"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    return dict(json.loads(line[len("RESULT ") :]))


def sample_rss(served: Served, stop_event: threading.Event) -> None:
    start = time.monotonic()
    while not stop_event.is_set():
        served.samples.append((time.monotonic() - start, rss_kb(server_pids(served))))
        stop_event.wait(RSS_EVERY_S)


def agree(base: str, keys: dict[str, str]) -> bool:
    """Give the partner an agreement over all non-restricted stations; False when sharing is not served."""
    r = httpx.put(f"{base}/share/v1/agreements/LOADP", json={"data_policies": ["core", "recommended"]},
                  headers={"Authorization": f"Bearer {keys['admin']}"}, timeout=30)  # fmt: skip
    return r.status_code in (200, 201)


def measured_run(
    served: Served, workdir: Path, seconds: int, connections: int, tag: str = "R"
) -> dict[str, Any]:
    """Run the counted load while sampling RSS and CPU; return the wrk result with those added."""
    pids = server_pids(served)
    stop_event = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(served, stop_event), daemon=True)
    cpu0, (busy0, all0), t0 = cpu_seconds(pids), busy_share(), time.monotonic()
    sampler.start()
    try:
        result = wrk(served.base, workdir, seconds, connections, tag)
    finally:
        stop_event.set()
        sampler.join()
    elapsed = time.monotonic() - t0
    busy1, all1 = busy_share()
    result["server_cores"] = (cpu_seconds(pids) - cpu0) / elapsed
    result["machine_busy"] = (busy1 - busy0) / max(1, all1 - all0)
    return result


def rss_summary(samples: list[tuple[float, dict[int, int]]]) -> dict[str, Any]:
    """Return total and per-worker RSS at start, middle and end, and the workers' growth."""
    first, mid, last = samples[0], samples[len(samples) // 2], samples[-1]
    total = [sum(s[1].values()) / 1024 for s in (first, mid, last)]
    workers = [max(s[1].values()) / 1024 for s in (first, mid, last)]
    return {"at_s": [round(s[0]) for s in (first, mid, last)], "total_mb": total, "largest_mb": workers,
            "growth": (total[2] - total[0]) / total[0]}  # fmt: skip


def report(result: dict[str, Any], rss: dict[str, Any], args: argparse.Namespace, load_before: float) -> str:
    """Return the markdown of the `## Load` section."""
    m = machine()
    secs = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("connect", "read", "write", "timeout", "status"))
    ms = {k: result[f"{k}_us"] / 1000 for k in ("p50", "p95", "p99", "max")}
    ops = "\n".join(
        f"| {op} | {n:,} | {n / result['requests']:.0%} | {result['bad'].get(op, 0)} |"
        for op, n in sorted(result["ops"].items(), key=lambda kv: -kv[1])
    )
    flat = "flat" if rss["growth"] <= GROWTH_LIMIT else "GREW"
    mb = " / ".join(f"{v:.0f}" for v in rss["total_mb"])
    return f"""
Date: {m["date"]}. Machine: {m["cpu"]}, {m["cores"]} cores, {m["memory"]} RAM, {m["os"]}, Python {m["python"]}.

Run with `.venv/bin/python -m bench.load` (`--stations`, `--seconds`, `--connections`). Dataset: {args.stations:,}
synthetic stations from `bench/generate.py` (with one revision each) in a database of its own. Server:
`hydromet serve --workers 2` (uvicorn) on 127.0.0.1, pool 8+8 connections per worker, rate limit lifted
for the run. Client: `wrk` in a second process, {args.connections} connections (one per thread), a
generated Lua script; {secs:.0f} s counted after a 10 s warm-up. Mix: 35% one station by id, 15% list
page (status and type filters), 15% name search (q=), 15% bbox (0.5 deg box), 10% partner change-feed
polling (each connection follows its cursor), 10% writes (register a station, then PATCH it with its
ETag). Load average before the run: {load_before:.2f} (other sessions share the 2 cores).

| requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| {result["requests"]:,} | {result["requests"] / secs:.0f} | {ms["p50"]:.1f} | {ms["p95"]:.1f} | {ms["p99"]:.1f} | {ms["max"]:.0f} | {errors} |

| operation | requests | share | errors (status >= 400) |
| --- | ---: | ---: | ---: |
{ops}

CPU: the server processes used {result["server_cores"]:.2f} of the 2 cores; the whole machine (server,
PostgreSQL, wrk) was {result["machine_busy"]:.0%} busy: saturated.
Memory: server RSS (master + 2 workers) at {" / ".join(f"{s} s" for s in rss["at_s"])}: {mb} MB
(largest process {" / ".join(f"{v:.0f}" for v in rss["largest_mb"])} MB), growth {rss["growth"]:+.1%}: {flat}.
Errors by kind: connect {result["connect"]}, read {result["read"]}, write {result["write"]}, timeout
{result["timeout"]}, HTTP status >= 400 {result["status"]}.{f" First failure: `{result['sample'][:200]}`" if result["sample"] else ""}
"""


def main(argv: list[str] | None = None) -> int:
    """Build the database, serve, warm up, run the counted load, record the section, clean up."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stations", type=generate.parse_size, default=20_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=DB_URL)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="print the section, do not write RESULTS.md")
    parser.add_argument("--replica", action="store_true", help="two API nodes reading from a hot standby")
    args = parser.parse_args(argv)
    if args.replica:
        from bench import load_replicas  # it builds on this module

        return load_replicas.run(args)
    prepare_database(args.database_url, args.stations)
    try:
        with tempfile.TemporaryDirectory(prefix="hydromet-load-") as tmp:
            workdir = Path(tmp)
            keys = make_keys(args.database_url)
            served = serve(args.database_url, workdir / "server.log")
            try:
                request_data(args.database_url, workdir, keys, feed=agree(served.base, keys))
                progress("warm-up 10 s")
                warm = wrk(served.base, workdir, 10, args.connections, "W")
                progress(f"  warm-up: {warm['requests']} requests, {warm['status']} status errors")
                load_before = os.getloadavg()[0]
                progress(f"counted run {args.seconds} s, {args.connections} connections")
                result = measured_run(served, workdir, args.seconds, args.connections)
            finally:
                stop(served)
                server_log = (workdir / "server.log").read_text(errors="replace")
    finally:
        if not args.keep_db:
            drop_database(args.database_url)
    rss = rss_summary(served.samples)
    section = report(result, rss, args, load_before)
    print(section)
    if not args.no_record:
        replace_section("Load", section)
    failed = sum(result[k] for k in ("connect", "read", "write", "timeout", "status"))
    if failed:
        progress(f"server log tail:\n{server_log[-3000:]}")
    return 1 if failed or rss["growth"] > GROWTH_LIMIT else 0


if __name__ == "__main__":
    raise SystemExit(main())
