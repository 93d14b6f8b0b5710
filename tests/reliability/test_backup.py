"""Backups: `hydromet backup FILE` then `hydromet restore FILE [--clean]` give back every station, exactly."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session

from api.main import create_app
from domain.access.models import SYSTEM
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.settings import Settings
from domain.station.models import StationClose, StationUpdate
from domain.station.service import close_station, update_station
from tests.reliability.support import (
    ROOT,
    SERVER_URL,
    add_station,
    admin_sql,
    create_database,
    drop_database,
    fingerprint,
    make_keys,
)

HYDROMET = str(ROOT / ".venv" / "bin" / "hydromet")


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    """A registry with varied stations: public, restricted, with WIGOS ids, changed, closed."""
    url = create_database("backup")
    try:
        make_keys(url)
        stations = [add_station(url, owner="RELA") for _ in range(8)]
        stations.append(add_station(url, owner="RELB", data_policy="restricted", wigos_ids=["0-704-1-BK1"]))
        stations.append(add_station(url, owner="RELA", station_types=["hydrological"], river="Sông Hồng"))
        engine = create_engine(sqlalchemy_url(url))
        with Session(engine, expire_on_commit=False) as s:
            for i, found in enumerate(stations[:3]):
                change = StationUpdate.model_validate({"name": f"Trạm đổi tên {i}", "elevation_m": 100.5 + i})
                update_station(
                    s, principal=SYSTEM, station_id=uuid.UUID(found["id"]), data=change, if_match=1
                )
            close_station(s, principal=SYSTEM, station_id=uuid.UUID(stations[4]["id"]),
                          data=StationClose(reason="ngừng quan trắc"))  # fmt: skip
        engine.dispose()
        yield url
    finally:
        drop_database(url)


def stations_by_id(url: str) -> dict[str, Any]:
    """Return every station row (all columns, geometry as EWKT), its WIGOS ids and its revisions, by id."""
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT s.id::text, to_jsonb(s) - 'location', ST_AsEWKT(s.location), "
            "(SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY w.wsi), '[]') FROM station_wigos_id w "
            " WHERE w.station_id = s.id), "
            "(SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.revision), '[]') FROM station_revision r "
            " WHERE r.station_id = s.id) FROM station s"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def hydromet(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HYDROMET_DATABASE_URL=url)
    return subprocess.run([HYDROMET, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_backup_then_restore_into_an_empty_database_gives_back_every_station(
    source: str, tmp_path: Path
) -> None:
    before = stations_by_id(source)
    assert len(before) == 10
    dump = tmp_path / "registry.dump"
    made = hydromet(source, "backup", str(dump))
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 0 and "backup written" in made.stdout

    name = f"hydromet_rel_restored_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_sql(f"CREATE DATABASE {name}")
    target = sqlalchemy_url(SERVER_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        restored = hydromet(target, "restore", str(dump))
        assert restored.returncode == 0, restored.stderr
        after = stations_by_id(target)
        assert after.keys() == before.keys()
        for station_id, state in before.items():
            assert after[station_id] == state, station_id
        assert fingerprint(target) == fingerprint(source)
        with TestClient(create_app(Settings(database_url=target, environment="test"))) as client:  # type: ignore[arg-type]
            assert client.get("/health").json()["database"] == "ok"
    finally:
        drop_database(target)


def test_restore_with_clean_puts_a_damaged_registry_back_as_it_was(source: str, tmp_path: Path) -> None:
    before = stations_by_id(source)
    dump = tmp_path / "registry.dump"
    assert hydromet(source, "backup", str(dump)).returncode == 0
    with psycopg.connect(libpq_url(source)) as conn:
        conn.execute("DELETE FROM station_revision")
        conn.execute("DELETE FROM station_wigos_id")
        conn.execute("UPDATE station SET name = 'hỏng', elevation_m = -1")
    assert stations_by_id(source) != before
    restored = hydromet(source, "restore", "--clean", str(dump))
    assert restored.returncode == 0, restored.stderr
    assert stations_by_id(source) == before


def test_restore_of_a_broken_dump_fails_and_changes_nothing(source: str, tmp_path: Path) -> None:
    before = fingerprint(source)
    dump = tmp_path / "registry.dump"
    assert hydromet(source, "backup", str(dump)).returncode == 0
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])  # cut in half
    failed = hydromet(source, "restore", "--clean", str(dump))
    assert failed.returncode != 0
    assert fingerprint(source) == before
