"""Plumbing of the replication tests: a primary cluster, a hot standby made by scripts/replica.sh, API nodes.

Everything runs on free ephemeral ports on 127.0.0.1 and under /var/tmp (as the postgres user when
root, like scripts/bootstrap.sh), and is removed afterwards.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.reliability.support import LOG_CONFIG, ROOT, Server, wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REPLICA_SCRIPT = ROOT / "scripts" / "replica.sh"
AS_POSTGRES = os.geteuid() == 0


def free_port() -> int:
    """Return a port nobody listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(*args: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if AS_POSTGRES else []
    subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=180)


@dataclass
class Pg:
    """A PostgreSQL server of the test: a primary we made, or a standby made by scripts/replica.sh."""

    data: Path
    port: int
    options: str = ""

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def libpq(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"),
             "-o", self.options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def query(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        with psycopg.connect(self.libpq(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []


def _workdir(tag: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"hydromet-{tag}-", dir="/var/tmp"))
    if AS_POSTGRES:
        shutil.chown(path, "postgres", "postgres")
    return path


@contextmanager
def primary_cluster() -> Iterator[Pg]:
    """A fresh cluster that accepts replication from 127.0.0.1 (initdb's pg_hba does), removed afterwards."""
    root = _workdir("primary")
    port = free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c fsync=off "
        "-c wal_level=replica -c max_wal_senders=10 -c wal_keep_size=256MB -c shared_buffers=128MB"
    )
    pg = Pg(data=root / "db", port=port, options=options)
    try:
        _run(str(PG_BIN / "initdb"), "-D", str(pg.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        pg.start()
        yield pg
    finally:
        try:
            pg.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Standby(Pg):
    """A hot standby, driven through scripts/replica.sh."""

    def script(self, *args: str) -> None:
        subprocess.run([str(REPLICA_SCRIPT), *args], check=True, capture_output=True, timeout=180)

    def start(self) -> None:
        self.script("start", str(self.data))

    def stop(self, mode: str = "fast") -> None:
        self.script("stop", str(self.data), mode)

    def promote(self) -> None:
        self.script("promote", str(self.data))


@contextmanager
def standby_of(primary: Pg) -> Iterator[Standby]:
    """A hot standby of `primary` made with pg_basebackup -R by scripts/replica.sh; removed afterwards."""
    root = _workdir("standby")
    standby = Standby(data=root / "db", port=free_port())
    try:
        standby.script("create", str(primary.port), str(standby.port), str(standby.data))
        yield standby
    finally:
        subprocess.run([str(REPLICA_SCRIPT), "remove", str(standby.data)], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def make_synchronous(primary: Pg) -> None:
    """Make each commit wait until a standby has its WAL on disk: no acknowledged write dies with the primary.

    Set after the standby was copied (ALTER SYSTEM writes the primary's own postgresql.auto.conf),
    so that the standby, once promoted, does not wait for a standby of its own.
    """
    primary.query("ALTER SYSTEM SET synchronous_standby_names = '*'")
    primary.query("SELECT pg_reload_conf()")


def replayed(primary: Pg, standby: Pg, database: str = "postgres") -> bool:
    """Say whether the standby has replayed everything the primary has written so far."""
    written = primary.query("SELECT pg_current_wal_lsn()")[0][0]
    return bool(standby.query(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn", database)[0][0])


@contextmanager
def api_node(workdir: Path, **env: str) -> Iterator[Server]:
    """Serve the app with uvicorn on a free port with these HYDROMET_* settings; stop it afterwards."""
    port = free_port()
    log_config = workdir / f"log-config-{port}.json"
    log_config.write_text(json.dumps(LOG_CONFIG))
    log_path = workdir / f"api-{port}-{uuid.uuid4().hex[:4]}.log"
    full_env = dict(os.environ) | {
        "HYDROMET_ENVIRONMENT": "test", "HYDROMET_DB_POOL_SIZE": "4", "HYDROMET_DB_CONNECT_TIMEOUT_S": "2",
        "HYDROMET_REPLICA_CHECK_INTERVAL_S": "0.2", "HYDROMET_REPLICA_MAX_LAG_S": "2",
    } | env  # fmt: skip
    cmd = [str(ROOT / ".venv" / "bin" / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-config", str(log_config), "--timeout-graceful-shutdown", "5"]  # fmt: skip
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            cmd, env=full_env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(base=f"http://127.0.0.1:{port}", proc=proc, log_path=log_path, env=full_env)
    try:
        up = wait_until(
            lambda: httpx.get(server.base + "/openapi.json", timeout=2).status_code == 200, 60, 0.25
        )
        if not up:
            raise RuntimeError(f"API node did not start:\n{server.log()[-3000:]}")
        yield server
    finally:
        if server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGTERM)
            try:
                server.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
