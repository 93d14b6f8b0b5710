"""OGC and share paths against the registry's: one item and one page of 100, each through uvicorn.

Usage: .venv/bin/python -m bench.bench_paths --database-url postgresql+psycopg://...@host:port/db
       [--app-dir DIR] [--label TEXT] [--seconds 10] [--rounds 2] [--write]

The database must hold stations (bench/generate.py). The API runs under uvicorn with 2 workers and
the access log off (from --app-dir, default this checkout, so another commit can be measured the same
way); an admin key, and a partner key whose agreement covers all public data, are made for the run.
Six cases, each loaded by `wrk -t2 -c8` for --seconds, the six in turn, --rounds times (the
median req/s is kept): one registry station (/api/v1/stations/{id}, admin), one OGC item
(anonymous), one share item (/share/v1/stations/{id}, partner), the registry's first page
(/api/v1/stations?f=geojson&limit=100, admin), the OGC first page (?limit=100, anonymous) and the
same OGC page as the partner (the partner's view; /share/v1/stations itself is a whole-view export
without pages). Items cycle through 300 random public stations. With --write, the result goes to
the `## OGC and share paths against the registry's` section of bench/RESULTS.md.
"""

import argparse
import os
import random
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from sqlmodel import Session

from bench import harness
from bench.bench_ogc import partner_key
from domain.access.models import Role
from domain.access.service import create_key
from domain.db.engine import libpq_url, make_engine
from domain.settings import Settings

AREA = "OGC and share paths against the registry's"
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def server(database_url: str, app_dir: Path, port: int) -> Iterator[str]:
    """Run the API from `app_dir` with uvicorn, 2 workers, no access log; yield its base URL."""
    env = dict(os.environ, HYDROMET_DATABASE_URL=database_url, HYDROMET_RATE_LIMIT_PER_MINUTE="100000000")
    cmd = [
        str(ROOT / ".venv" / "bin" / "uvicorn"), "api.main:create_app", "--factory", "--app-dir", str(app_dir),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=app_dir, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the group this function started
        proc.wait(timeout=20)


def admin_secret(database_url: str) -> str:
    engine = make_engine(Settings(database_url=database_url))  # type: ignore[arg-type]
    with Session(engine) as session:
        _, secret = create_key(session, organization="NCHMF", role=Role.admin, label="bench_paths")
    engine.dispose()
    return secret


def public_ids(database_url: str, n: int = 300) -> list[str]:
    sql = "SELECT id FROM station WHERE data_policy <> 'restricted' AND status <> 'closed'"
    with psycopg.connect(libpq_url(database_url)) as conn:
        ids = [str(r[0]) for r in conn.execute(sql).fetchall()]
    random.Random(16).shuffle(ids)
    return ids[:n]


def cases(ids: list[str], admin: str, partner: str) -> list[tuple[str, dict[str, str], list[str]]]:
    a, p = {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {partner}"}
    return [
        ("registry station (admin)", a, [f"/api/v1/stations/{i}" for i in ids]),
        ("OGC item (anonymous)", {}, [f"/ogc/collections/stations/items/{i}" for i in ids]),
        ("share item (partner)", p, [f"/share/v1/stations/{i}" for i in ids]),
        ("registry page of 100 (admin)", a, ["/api/v1/stations?f=geojson&limit=100"]),
        ("OGC page of 100 (anonymous)", {}, ["/ogc/collections/stations/items?limit=100"]),
        ("OGC page of 100 (partner)", p, ["/ogc/collections/stations/items?limit=100"]),
    ]


def run(args: argparse.Namespace) -> dict[str, list[float]]:
    ids = public_ids(args.database_url)
    admin, partner = admin_secret(args.database_url), partner_key(args.database_url)
    found: dict[str, list[float]] = {}
    with server(args.database_url, Path(args.app_dir), args.port) as base:
        todo = cases(ids, admin, partner)
        for _name, headers, paths in todo:
            harness.check_paths(base, headers, paths, "json")
            harness.wrk(base, headers, paths, concurrency=2, seconds=1)  # warm pools and plans
        for _ in range(args.rounds):
            for name, headers, paths in todo:
                stats = harness.wrk(base, headers, paths, concurrency=8, seconds=args.seconds)
                found.setdefault(name, []).append(stats.rps)
                harness.progress(f"{name}: {stats.rps:.0f} req/s, p50 {stats.p50_ms:.2f} ms")
    return found


def table(found: dict[str, list[float]]) -> str:
    rps = {k: statistics.median(v) for k, v in found.items()}
    item, page = rps["registry station (admin)"], rps["registry page of 100 (admin)"]
    lines = ["| case | req/s (median) | runs | x registry |", "| --- | ---: | --- | ---: |"]
    for name, value in rps.items():
        ref = item if "item" in name or "station" in name else page
        runs = ", ".join(f"{v:.0f}" for v in found[name])
        lines.append(f"| {name} | {value:.0f} | {runs} | {value / ref:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--app-dir", default=str(ROOT))
    parser.add_argument("--port", type=int, default=18516)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--label", default="this branch")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    facts, load = harness.machine(), harness.load_average()
    found = run(args)
    text = table(found)
    print(text)  # noqa: T201 - the table is this command's output
    if args.write:
        with psycopg.connect(libpq_url(args.database_url)) as conn:
            n = conn.execute("SELECT count(*) FROM station").fetchone()[0]  # type: ignore[index]
        head = (
            f"Date: {facts['date']}. Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']}, "
            f"{facts['os']}, Python {facts['python']}. {n:,} stations. Load average (1 min) before {load}, "
            f"after {harness.load_average()}. Code: {args.label}.\n\n"
            "Run with `.venv/bin/python -m bench.bench_paths --database-url ... --write` (see its docstring).\n\n"
        )
        harness.replace_section(AREA, head + text)


if __name__ == "__main__":
    main()
