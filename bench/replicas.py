"""The replicated set-up of bench/load.py: a hot standby of the bench database's cluster, API nodes reading from it.

The standby is made by scripts/replica.sh (pg_basebackup -R) from the cluster that holds the
bench database, on a free port, under /var/tmp, and removed at the end. The API nodes' routed
requests and replica lag are read from their /metrics.
"""

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from domain.db.engine import libpq_url

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "replica.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def standby_of(database_url: str) -> Iterator[str]:
    """Yield the URL of the bench database on a fresh hot standby of its cluster; remove it afterwards."""
    head, name = database_url.rsplit("/", 1)
    primary_port = int(head.rsplit(":", 1)[1])
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="hydromet-bench-standby-", dir="/var/tmp"))
    data = root / "db"
    subprocess.run(["chown", "postgres:postgres", str(root)], check=False, capture_output=True)
    try:
        subprocess.run(
            [str(SCRIPT), "create", str(primary_port), str(port), str(data)], check=True, timeout=600
        )
        url = f"{head.rsplit(':', 1)[0]}:{port}/{name}"
        wait_replayed(database_url, url)
        yield url
    finally:
        subprocess.run([str(SCRIPT), "remove", str(data)], check=False, capture_output=True, timeout=120)
        subprocess.run(["rm", "-rf", str(root)], check=False)


def wait_replayed(primary_url: str, standby_url: str, timeout_s: float = 120) -> None:
    """Wait until the standby has replayed what the primary has written."""
    with psycopg.connect(libpq_url(primary_url), autocommit=True) as conn:
        written = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(libpq_url(standby_url), autocommit=True) as conn:
                row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (written,)).fetchone()
                if row and row[0]:
                    return
        except psycopg.Error:
            pass
        time.sleep(0.5)
    raise RuntimeError("the standby did not catch up")


def routed(base: str) -> dict[str, float]:
    """Return a node's routed-request counts per database, and the replica's lag, from its /metrics."""
    found: dict[str, float] = {}
    for line in httpx.get(base + "/metrics", timeout=10).text.splitlines():
        if line.startswith("hydromet_db_routed_requests_total{"):
            found[line.split('database="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("hydromet_db_replica_lag_seconds{"):
            found["lag_s"] = float(line.rsplit(" ", 1)[1])
    return found
