"""The servers of the OGC benchmark: this API, tipg and pygeoapi on one database, and wrk against them.

Every port is free when the run starts (the database's is taken from its URL); tipg and pygeoapi
run from venvs that bench/peers.py installs from pinned lists. pygeoapi (PostgreSQL provider,
under uvicorn) and tipg (under uvicorn) read the view `ogc_station` holding exactly the rows this
API serves to the public (core/recommended, not closed). 2 workers each.
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.harness import LUA, Stats
from bench.peers import venv_of
from domain.db.engine import libpq_url, sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "data_policy IN ('core', 'recommended') AND status <> 'closed'"
COLUMNS = (
    "id, national_code, name, network, legal_basis, station_types, automation, status, elevation_m, "
    "wigos_ids, owner, operator, data_policy, province, river, basin, variables, closed_date, "
    "close_reason, successor_id, created_at, updated_at, revision, location"
)
VIEW = f"CREATE OR REPLACE VIEW ogc_station AS SELECT {COLUMNS} FROM station WHERE {PUBLIC}"
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


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVERS = ("this API", "tipg", "pygeoapi")


def api_env(url: str) -> dict[str, str]:
    """Return the environment of this API for a benchmark database (rate limit out of the way)."""
    return {"HYDROMET_DATABASE_URL": sqlalchemy_url(url), "HYDROMET_RATE_LIMIT_PER_MINUTE": "100000000"}


@contextmanager
def servers(url: str, workdir: Path) -> Iterator[dict[str, str]]:
    """Start the three servers on the same database, each on a free port; yield their base URLs."""
    dsn = libpq_url(url)
    dbname = dsn.rsplit("/", 1)[1]
    ports = {name: free_port() for name in SERVERS}
    tipg, pygeoapi = str(venv_of("tipg")), str(venv_of("pygeoapi"))
    config = workdir / "pygeoapi.yml"
    pgport = psycopg.conninfo.conninfo_to_dict(dsn).get("port") or 5432
    config.write_text(PYGEOAPI_CONFIG.format(port=ports["pygeoapi"], pgport=pgport, dbname=dbname))
    openapi = workdir / "pygeoapi-openapi.yml"
    gen = [f"{pygeoapi}/bin/pygeoapi", "openapi", "generate", str(config), "--output-file", str(openapi)]
    subprocess.run(gen, check=True, capture_output=True, env=os.environ | {"PYGEOAPI_CONFIG": str(config)})
    with ExitStack() as stack:
        stack.enter_context(
            serve(
                uvicorn(str(ROOT / ".venv"), "api.main:create_app", ports["this API"], "--factory"),
                api_env(url),
                ports["this API"],
                "/ogc/conformance",
            )
        )
        stack.enter_context(
            serve(
                uvicorn(tipg, "tipg.main:app", ports["tipg"]),
                {
                    "DATABASE_URL": dsn,
                    "TIPG_DB_TABLES": '["public.ogc_station"]',
                    "TIPG_MAX_FEATURES_PER_QUERY": "1000",
                },
                ports["tipg"],
                "/collections",
            )
        )
        stack.enter_context(serve(
            uvicorn(pygeoapi, "pygeoapi.starlette_app:APP", ports["pygeoapi"]),
            {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)},
            ports["pygeoapi"], "/collections?f=json"))  # fmt: skip
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}


def wrk(
    base: str, paths: list[str], seconds: int, headers: dict[str, str] | None = None
) -> tuple[Stats, int]:
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
            *(f"-H{name}: {value}" for name, value in (headers or {}).items()),
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
