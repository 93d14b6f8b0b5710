"""Fixtures of the replication tests: a primary with a hot standby, a migrated database, two API nodes."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.reliability.support import Keys, Server, make_keys, migrate, wait_until
from tests.replication.support import Pg, Standby, api_node, primary_cluster, replayed, standby_of

DATABASE = "hydromet_repl"
RATE_LIMIT = 300  # per key per minute, on both nodes


@dataclass
class Topology:
    """Primary, standby, the database's URLs on each, keys, and two API nodes reading from the standby."""

    primary: Pg
    standby: Standby
    keys: Keys
    node_a: Server
    node_b: Server

    @property
    def primary_url(self) -> str:
        return self.primary.url(DATABASE)

    @property
    def standby_url(self) -> str:
        return self.standby.url(DATABASE)

    def replica_in_use(self, node: Server) -> bool:
        """Say whether the node's /health finds the replica healthy (reads may go there)."""
        body = httpx.get(node.base + "/health", timeout=5).json()
        return any(d["name"] == "replica-1" and d["status"] == "ok" for d in body["databases"])


def create_database(primary: Pg) -> None:
    with psycopg.connect(primary.libpq(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")  # type: ignore[arg-type]
    migrate(primary.url(DATABASE))


@pytest.fixture(scope="package")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """A primary and its standby, two API nodes on both; shared by the replication tests."""
    workdir: Path = tmp_path_factory.mktemp("replication")
    with primary_cluster() as primary:
        create_database(primary)
        keys = make_keys(primary.url(DATABASE))
        with standby_of(primary) as standby:
            assert wait_until(lambda: replayed(primary, standby), 30)
            env = {
                "HYDROMET_DATABASE_URL": primary.url(DATABASE),
                "HYDROMET_DATABASE_READ_URLS": standby.url(DATABASE),
                "HYDROMET_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
                "HYDROMET_KEY_CACHE_TTL_S": "30",  # so that only the revocation notice can explain a quick 401
            }
            with api_node(workdir, **env) as node_a, api_node(workdir, **env) as node_b:
                topo = Topology(primary=primary, standby=standby, keys=keys, node_a=node_a, node_b=node_b)
                assert wait_until(lambda: topo.replica_in_use(node_a) and topo.replica_in_use(node_b), 30)
                yield topo
