"""Benchmark plumbing any bench_*.py can reuse: a real uvicorn server, wrk load, the psycopg SQL floor,
SQL capture from the domain code, machine facts, and the per-area section of RESULTS.md."""

import io
import json
import os
import platform
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import pycurl
from sqlalchemy import Engine
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.service import create_key
from domain.db.engine import make_engine
from domain.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS_MD = BENCH / "RESULTS.md"
LUA = BENCH / "paths.lua"


def progress(text: str) -> None:
    """Write a progress line at once."""
    print(text, flush=True)


@dataclass(frozen=True)
class Stats:
    """Latency percentiles (ms) and throughput of one run."""

    p50_ms: float
    p95_ms: float
    rps: float
    requests: int
    concurrency: int


@contextmanager
def api_server(database_url: str, port: int, workers: int = 2) -> Iterator[str]:
    """Run the API with uvicorn (as in production) on 127.0.0.1:port; yield its base URL; stop it."""
    env = dict(os.environ, HYDROMET_DATABASE_URL=database_url, HYDROMET_RATE_LIMIT_PER_MINUTE="100000000")
    cmd = [
        str(ROOT / ".venv" / "bin" / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the group of the server this function started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the API server did not come up within 60 s")


def check_paths(base: str, headers: dict[str, str], paths: list[str], expect: str) -> None:
    """Fail early unless a few paths answer 200 with the expected content type."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for path in paths[:3]:
            response = client.get(path)
            if response.status_code != 200 or expect not in response.headers.get("content-type", ""):
                raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:300]}")


def wrk(base: str, headers: dict[str, str], paths: list[str], *, concurrency: int, seconds: float) -> Stats:
    """Load the API with wrk (C, so the client barely competes for CPU) cycling through `paths`."""
    paths_file = BENCH / "results" / f".paths-{os.getpid()}.txt"
    paths_file.parent.mkdir(exist_ok=True)
    paths_file.write_text("\n".join(paths) + "\n")
    cmd = [
        "wrk",
        f"-c{concurrency}",
        f"-t{min(concurrency, 2)}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
    ]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd += ["-s", str(LUA), base, "--", str(paths_file)]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        paths_file.unlink(missing_ok=True)
    match = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    r = json.loads(match[1])
    if r["errors"] or r["status_errors"]:
        raise RuntimeError(f"wrk saw {r['errors']} socket errors and {r['status_errors']} non-2xx answers")
    return Stats(
        r["p50_us"] / 1000,
        r["p95_us"] / 1000,
        r["requests"] / (r["duration_us"] / 1e6),
        r["requests"],
        concurrency,
    )


Statement = tuple[str, dict[str, Any]]


@contextmanager
def capturing(session: Session) -> Iterator[list[Statement]]:
    """Record the SQL text and parameters of each statement the session's connection runs (the API's
    exact SQL), at the driver: SQLAlchemy's executions and the station pages' driver-level reads."""
    seen: list[Statement] = []
    driver: Any = session.connection().connection.driver_connection
    base = driver.cursor_factory

    class Recording(base):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            seen.append((str(query), dict(params or {})))
            return super().execute(query, params, **options)

    driver.cursor_factory = Recording
    try:
        yield seen
    finally:
        driver.cursor_factory = base


@dataclass
class Sample:
    """Raw latencies (seconds) of one timed slice, and how long the slice ran."""

    latencies: list[float]
    seconds: float


Client = tuple[Callable[[], None], Callable[[], None]]  # (one request, close)


def run_clients(clients: list[Client], seconds: float) -> Sample:
    """Run each client in its own thread, request after request, until `seconds` have passed."""
    latencies: list[list[float]] = [[] for _ in clients]
    failures: list[BaseException] = []
    deadline = time.perf_counter() + seconds

    def loop(k: int) -> None:
        request, out = clients[k][0], latencies[k]
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                request()
                out.append(time.perf_counter() - t0)
        except Exception as exc:  # re-raised in the caller's thread
            failures.append(exc)

    start = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(k,)) for k in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return Sample([x for xs in latencies for x in xs], time.perf_counter() - start)


def close_all(clients: list[Client]) -> None:
    """Close every client's connection."""
    for _, close in clients:
        close()


def sql_clients(engine: Engine, statements: list[Statement], concurrency: int) -> list[Client]:
    """Return psycopg clients cycling through the captured statements, on connections made as the API's.

    Each is a raw connection of the API's own engine (same session options), in autocommit and never
    prepared: the API's pages run unprepared with a custom plan, and so must the floor (only its
    one-station read is prepared, see domain.db.fetch.fetch_rows).
    """
    rng = np.random.default_rng()
    clients: list[Client] = []
    for _ in range(concurrency):
        raw = engine.raw_connection()
        conn: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
        conn.autocommit, conn.prepare_threshold = True, None
        cur, position = conn.cursor(), [int(rng.integers(len(statements)))]

        def request(cur: psycopg.Cursor[Any] = cur, position: list[int] = position) -> None:
            sql, params = statements[position[0] % len(statements)]
            position[0] += 1
            cur.execute(sql, params)
            cur.fetchall()

        clients.append((request, raw.invalidate))
    return clients


def http_clients(base: str, headers: dict[str, str], paths: list[str], concurrency: int) -> list[Client]:
    """Return keep-alive HTTP/1.1 clients cycling through paths, on libcurl (pycurl).

    The floor's client parses PostgreSQL's protocol in C (libpq); libcurl parses HTTP in C too, so
    neither side's number carries a Python parser. The standard library's http.client parses the
    response headers in Python: ~0.15 ms more per page request on the same server (bench/RESULTS.md).
    """
    rng = np.random.default_rng()
    clients: list[Client] = []
    for _ in range(concurrency):
        curl = pycurl.Curl()
        curl.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in headers.items()])
        curl.setopt(pycurl.TIMEOUT, 60)
        body = io.BytesIO()
        curl.setopt(pycurl.WRITEDATA, body)
        position = [int(rng.integers(len(paths)))]

        def request(
            curl: pycurl.Curl = curl, body: io.BytesIO = body, position: list[int] = position
        ) -> None:
            path = paths[position[0] % len(paths)]
            position[0] += 1
            body.seek(0)
            body.truncate()
            curl.setopt(pycurl.URL, base + path)
            curl.perform()
            status = curl.getinfo(pycurl.RESPONSE_CODE)
            if status != 200:
                raise RuntimeError(f"GET {path} -> {status}: {body.getvalue()[:300]!r}")

        clients.append((request, curl.close))
    return clients


def stats_of(samples: list[Sample], concurrency: int) -> Stats:
    """Return percentiles and throughput of slices taken together."""
    every = np.array([x for s in samples for x in s.latencies]) * 1000
    seconds = sum(s.seconds for s in samples)
    p50, p95 = (float(v) for v in np.percentile(every, [50, 95]))
    return Stats(p50, p95, every.size / seconds, int(every.size), concurrency)


def interleaved(
    first: Callable[[float], Sample],
    second: Callable[[float], Sample],
    *,
    seconds: float,
    slices: int,
    concurrency: int,
) -> tuple[Stats, Stats]:
    """Time two ways of doing the same work in alternating slices, so both see the same machine load."""
    a: list[Sample] = []
    b: list[Sample] = []
    for _ in range(slices):
        a.append(first(seconds / slices))
        b.append(second(seconds / slices))
    return stats_of(a, concurrency), stats_of(b, concurrency)


def combine(runs: list[Stats]) -> Stats:
    """Return wrk runs taken together: summed throughput, median of the percentiles."""
    requests = sum(r.requests for r in runs)
    seconds = sum(r.requests / r.rps for r in runs)
    p50 = float(np.median([r.p50_ms for r in runs]))
    p95 = float(np.median([r.p95_ms for r in runs]))
    return Stats(p50, p95, requests / seconds, requests, runs[0].concurrency)


def machine() -> dict[str, str]:
    """Return the facts a result needs: date, CPU, cores, memory, load, OS."""
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])  # type: ignore[index]
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def load_average() -> str:
    """Return the 1-minute load average (other processes share the cores)."""
    return f"{os.getloadavg()[0]:.2f}"


def replace_section(area: str, body: str) -> None:
    """Write `## <area>` of RESULTS.md, keeping every other area's section as it is."""
    header = "# Benchmark results\n\nEach area owns one `## <area>` section, rewritten by its benchmark.\n"
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else header
    section = f"## {area}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(area)}\n.*?(?=^## |\Z)", re.M | re.S)
    text = (
        pattern.sub(lambda _m: section + "\n", text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    RESULTS_MD.write_text(text.rstrip() + "\n")


def save_json(path: Path, data: dict[str, Any]) -> None:
    """Write results as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def stats_dict(stats: Stats) -> dict[str, Any]:
    """Return a Stats as a JSON-ready dict."""
    return asdict(stats)


def admin_key(settings: Settings, label: str) -> tuple[str, Principal]:
    """Create an admin key of the national agency for a run; return its secret and the principal it stands for."""
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        key, secret = create_key(session, organization="NCHMF", role=Role.admin, label=label)
    engine.dispose()
    return secret, Principal(organization="NCHMF", role=Role.admin, key_id=key.id)
