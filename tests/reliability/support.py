"""Plumbing of the reliability tests: throwaway databases and clusters, real uvicorn servers, keys."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from alembic import command
from sqlalchemy import create_engine
from sqlmodel import Session

from api.cli import alembic_config
from domain.access.models import OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization, revoke_key
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.province.service import load_provinces
from domain.settings import Settings
from seed.provinces import province_features

ROOT = Path(__file__).resolve().parents[2]
SERVER_URL = os.environ.get("HYDROMET_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:55432/postgres")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SERVER_PORTS = (18100, 18101, 18102, 18103, 18104, 18106, 18107, 18108, 18109)
CLUSTER_PORT = 18105  # the throwaway PostgreSQL cluster of the database-outage test
# tables whose rows change on reads (usage counters) or never change (reference data)
UNWATCHED_TABLES = {
    "province",
    "spatial_ref_sys",
    "api_key",
    "share_usage",
    "rate_window",
    "feed_mark",
    "alembic_version",
}


def admin_sql(sql: str, server_url: str = SERVER_URL) -> None:
    """Run one statement on the server's maintenance database, outside a transaction."""
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def migrate(url: str) -> None:
    """Bring a database to the head migration and load the provinces."""
    command.upgrade(alembic_config(Settings(database_url=url)), "head")  # type: ignore[arg-type]
    engine = create_engine(sqlalchemy_url(url))
    with Session(engine) as session:
        load_provinces(session, features=province_features())
    engine.dispose()


def create_database(tag: str, server_url: str = SERVER_URL) -> str:
    """Create and migrate a fresh database named after `tag`; return its SQLAlchemy URL."""
    name = f"hydromet_rel_{tag}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_sql(f"CREATE DATABASE {name}", server_url)
    url = sqlalchemy_url(server_url.rsplit("/", 1)[0] + "/" + name)
    try:
        migrate(url)
    except BaseException:
        drop_database(url, server_url)
        raise
    return url


def drop_database(url: str, server_url: str = SERVER_URL) -> None:
    """Drop a database made by create_database."""
    admin_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)", server_url)


def fingerprint(url: str) -> dict[str, str]:
    """Return a digest of every watched table's rows, to prove that nothing was written."""
    with psycopg.connect(libpq_url(url)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            if r[0] not in UNWATCHED_TABLES
        ]
        digest = {}
        for table in tables:
            row = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM \"{table}\" t"
            ).fetchone()
            digest[table] = f"{row[0]}:{row[1]}" if row else ""
    return digest


@dataclass
class Keys:
    """Secrets of one key per role and case, all made for the reliability tests."""

    admin: str
    editor: str
    other_editor: str
    viewer: str
    partner: str
    expired: str
    revoked: str
    org: str = "RELA"
    other_org: str = "RELB"
    partner_org: str = "RELP"

    def headers(self, who: str) -> dict[str, str]:
        """Return the Authorization header of a key by its field name ('anonymous': none)."""
        return {} if who == "anonymous" else {"Authorization": f"Bearer {getattr(self, who)}"}

    def all_secrets(self) -> list[str]:
        return [
            self.admin,
            self.editor,
            self.other_editor,
            self.viewer,
            self.partner,
            self.expired,
            self.revoked,
        ]


def make_keys(url: str) -> Keys:
    """Create the organizations and one key per role and case in this database."""
    orgs = [
        ("RELNA", OrganizationKind.national_agency),
        ("RELA", OrganizationKind.ministry),
        ("RELB", OrganizationKind.ministry),
        ("RELP", OrganizationKind.partner),
    ]
    engine = create_engine(sqlalchemy_url(url))
    with Session(engine, expire_on_commit=False) as s:
        for code, kind in orgs:
            # direct writes: these tests are about the registry's behaviour without review
            data = OrganizationCreate(code=code, name=f"Reliability {code}", kind=kind, review_required=False)
            ensure_organization(s, data=data)
        s.commit()

        def key(org: str, role: Role, expires_at: datetime | None = None) -> str:
            return create_key(s, organization=org, role=role, expires_at=expires_at)[1]

        revoked_row, revoked = create_key(s, organization="RELA", role=Role.editor)
        revoke_key(s, key_id=revoked_row.id)
        keys = Keys(
            admin=key("RELNA", Role.admin),
            editor=key("RELA", Role.editor),
            other_editor=key("RELB", Role.editor),
            viewer=key("RELA", Role.viewer),
            partner=key("RELP", Role.partner),
            expired=key("RELA", Role.editor, datetime.now(UTC) - timedelta(days=1)),
            revoked=revoked,
        )
    engine.dispose()
    return keys


def free_port() -> int:
    """Return a free port of this helper's range (never the cluster's)."""
    for port in SERVER_PORTS:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {SERVER_PORTS}")


LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    },
    "root": {"level": "DEBUG", "handlers": ["stderr"]},
    "loggers": {"uvicorn": {"level": "DEBUG"}, "uvicorn.access": {"level": "DEBUG"}},
}


@dataclass
class Server:
    """A uvicorn process serving the app on 127.0.0.1, its log captured in a file."""

    base: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Kill the server's process group at once (SIGKILL), as a crash would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(check: Any, timeout: float, every: float = 0.2) -> bool:
    """Call `check` until it returns true or the timeout passes; return whether it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (httpx.HTTPError, psycopg.Error):
            pass
        time.sleep(every)
    return False


@contextmanager
def run_server(url: str, workdir: Path, *, wait_health: bool = True, **env: str) -> Iterator[Server]:
    """Serve the app against `url` with uvicorn on a port of this helper's range; stop it afterwards."""
    port = free_port()
    log_config = workdir / f"log-config-{port}.json"
    log_config.write_text(json.dumps(LOG_CONFIG))
    log_path = workdir / f"server-{port}-{uuid.uuid4().hex[:4]}.log"
    full_env = dict(os.environ)
    full_env |= {
        "HYDROMET_DATABASE_URL": url,
        "HYDROMET_ENVIRONMENT": "test",
        "HYDROMET_DB_POOL_SIZE": "4",
        "HYDROMET_DB_CONNECT_TIMEOUT_S": "2",
        "HYDROMET_RATE_LIMIT_PER_MINUTE": "1000000",
    } | env
    cmd = [
        str(ROOT / ".venv" / "bin" / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--log-config", str(log_config), "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            cmd, env=full_env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(base=f"http://127.0.0.1:{port}", proc=proc, log_path=log_path, env=full_env)
    try:
        path = "/health" if wait_health else "/openapi.json"
        up = wait_until(lambda: httpx.get(server.base + path, timeout=2).status_code == 200, 60, 0.25)
        if not up:
            raise RuntimeError(f"server did not start:\n{server.log()[-3000:]}")
        yield server
    finally:
        server.stop()


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster of our own, which a test may stop and start."""

    data: Path
    port: int
    as_postgres: bool

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data} -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data / "db"), "-l", str(self.data / "pg.log"),
                  "-o", opts, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data / "db"), "-m", mode, "-w", "stop")


@contextmanager
def own_cluster(port: int = CLUSTER_PORT) -> Iterator[Cluster]:
    """Create, start and finally remove a PostgreSQL cluster under /var/tmp (postgres owns it when root)."""
    data = Path(tempfile.mkdtemp(prefix="hydromet-rel-pg-", dir="/var/tmp"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    cluster = Cluster(data=data, port=port, as_postgres=as_postgres)
    try:
        cluster._run(str(PG_BIN / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(data, ignore_errors=True)


def add_station(url: str, owner: str = "RELA", **overrides: Any) -> dict[str, Any]:
    """Register a station as the system in this database; return its id, code and name."""
    from domain.access.models import SYSTEM
    from domain.station.models import StationCreate
    from domain.station.service import register_station
    from tests.factories import station_body

    engine = create_engine(sqlalchemy_url(url))
    with Session(engine, expire_on_commit=False) as s:
        code = overrides.pop("national_code", f"REL-{uuid.uuid4().hex[:10].upper()}")
        body = station_body(owner=owner, national_code=code, **overrides)
        station = register_station(s, principal=SYSTEM, data=StationCreate.model_validate(body))
        found = {"id": str(station.id), "national_code": station.national_code, "name": station.name}
    engine.dispose()
    return found
