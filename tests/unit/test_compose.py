"""compose.yaml: the deployment past one machine, checked for structure (no Docker engine runs it here)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_runs_a_primary_a_replica_two_api_nodes_and_a_load_balancer(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"db", "replica", "api1", "api2", "lb"}


def test_both_api_nodes_write_to_the_primary_and_read_from_the_replica(compose: dict[str, Any]) -> None:
    for name in ("api1", "api2"):
        env = compose["services"][name]["environment"]
        assert "@db:5432/hydromet" in env["HYDROMET_DATABASE_URL"]
        assert "@replica:5432/hydromet" in env["HYDROMET_DATABASE_READ_URLS"]
        assert "healthcheck" in compose["services"][name]
    assert compose["services"]["api2"]["depends_on"]["api1"] == {"condition": "service_healthy"}


def test_every_service_waited_for_as_healthy_has_a_health_check(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for service in services.values():
        for needed, how in service.get("depends_on", {}).items():
            assert how["condition"] == "service_healthy"
            assert "healthcheck" in services[needed], needed


def test_the_load_balancer_spreads_over_both_nodes_and_skips_a_failed_one(compose: dict[str, Any]) -> None:
    lb = compose["services"]["lb"]
    assert set(lb["depends_on"]) == {"api1", "api2"}
    source = lb["volumes"][0].split(":")[0]
    conf = (ROOT / source).read_text()
    assert "server api1:8000 max_fails=2" in conf and "server api2:8000 max_fails=2" in conf
    assert "proxy_next_upstream error timeout http_502 http_503 http_504" in conf
    assert conf.count("{") == conf.count("}")


def test_the_replica_is_a_streaming_copy_of_the_primary(compose: dict[str, Any]) -> None:
    db, replica = compose["services"]["db"], compose["services"]["replica"]
    assert "wal_level=replica" in db["command"] and "max_wal_senders=10" in db["command"]
    for service in (db, replica):
        for volume in service["volumes"]:
            if volume.startswith("./"):
                assert (ROOT / volume.split(":")[0]).exists(), volume
    start = (ROOT / "deploy" / "replica-start.sh").read_text()
    assert "pg_basebackup -h db" in start and " -R " in start
    assert "host replication" in (ROOT / "deploy" / "primary-init.sh").read_text()
