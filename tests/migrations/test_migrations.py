"""Migrations: one head, upgrade from empty, down to base and up again, each step reversible, models match."""

import ast
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from api.cli import ROOT, alembic_config
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.db.registry import metadata
from domain.settings import Settings

pytestmark = pytest.mark.slow
SERVER_URL = os.environ.get("HYDROMET_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:55432/postgres")
CORE_TABLES = {"organization", "api_key", "province", "station", "station_wigos_id", "station_revision"}


def _admin(sql: str) -> None:
    with psycopg.connect(libpq_url(SERVER_URL), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def empty_url() -> Iterator[str]:
    """A throwaway database of this module's own (never the shared test database)."""
    name = f"hydromet_mig_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")
    try:
        yield sqlalchemy_url(SERVER_URL.rsplit("/", 1)[0] + "/" + name)
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def config(empty_url: str) -> Config:
    return alembic_config(Settings(database_url=empty_url))  # type: ignore[arg-type]


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()


def _current(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _env_include_object() -> Callable[..., bool]:
    """Return migrations/env.py's own include_object (env.py runs Alembic at import, so it is not imported)."""
    tree = ast.parse((ROOT / "migrations" / "env.py").read_text())
    wanted = {"include_object", "POSTGIS_TABLES", "POSTGIS_SCHEMAS"}
    nodes = [
        n
        for n in tree.body
        if (isinstance(n, ast.FunctionDef) and n.name in wanted)
        or (isinstance(n, ast.Assign) and any(getattr(t, "id", None) in wanted for t in n.targets))
    ]
    namespace: dict[str, Any] = {"Any": Any, "alembic_helpers": alembic_helpers}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), "migrations/env.py", "exec"), namespace)  # noqa: S102
    function: Callable[..., bool] = namespace["include_object"]
    return function


def test_the_migration_history_has_a_single_head(config: Config) -> None:
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_the_revision_files_form_one_chain_from_base(config: Config) -> None:
    script = ScriptDirectory.from_config(config)
    revisions = list(script.walk_revisions("base", "heads"))
    assert [r.down_revision for r in revisions][-1] is None
    assert len({r.revision for r in revisions}) == len(list(Path(script.versions).glob("*.py")))


def test_upgrade_from_empty_to_head_then_down_to_base_and_up_again(config: Config, empty_url: str) -> None:
    head = ScriptDirectory.from_config(config).get_current_head()
    command.upgrade(config, "head")
    assert _current(empty_url) == head
    assert CORE_TABLES <= _tables(empty_url)
    command.downgrade(config, "base")
    assert _current(empty_url) is None
    assert _tables(empty_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert _current(empty_url) == head
    assert CORE_TABLES <= _tables(empty_url)


def test_every_revision_steps_down_and_up_again(config: Config, empty_url: str) -> None:
    command.downgrade(config, "base")
    script = ScriptDirectory.from_config(config)
    for revision in reversed(list(script.walk_revisions("base", "heads"))):
        command.upgrade(config, revision.revision)
        tables = _tables(empty_url)
        command.downgrade(config, "-1")
        assert _current(empty_url) == revision.down_revision
        command.upgrade(config, revision.revision)
        assert _tables(empty_url) == tables, revision.revision
    assert _current(empty_url) == script.get_current_head()


def test_models_match_the_migrated_schema(config: Config, empty_url: str) -> None:
    command.upgrade(config, "head")
    engine = create_engine(empty_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": _env_include_object(),
                    "compare_type": True,
                    "target_metadata": metadata,
                },
            )
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_alembic_check_finds_nothing_to_generate(config: Config) -> None:
    command.upgrade(config, "head")
    command.check(config)


def test_the_base_revision_enables_postgis(config: Config, empty_url: str) -> None:
    command.upgrade(config, "head")
    engine = create_engine(empty_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT extname FROM pg_extension WHERE extname = 'postgis'")).scalar()
    finally:
        engine.dispose()


def test_value_ranges_revision_repairs_old_rows_then_checks_new_ones(config: Config, empty_url: str) -> None:
    command.upgrade(config, "head")
    command.downgrade(config, "0005")
    engine = create_engine(empty_url, poolclass=NullPool)
    insert = (
        "INSERT INTO coverage_norm (station_type, zone_category, level, spacing_km, area_per_station_km2, source) "
        "VALUES ('synoptic', 'sea', 'minimum', 0, NULL, 'old'), ('radar', 'sea', 'minimum', NULL, 'NaN', 'old')"
    )
    try:
        with engine.begin() as conn:
            conn.execute(text(insert))
        command.upgrade(config, "0010")
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT station_type, spacing_km, area_per_station_km2 FROM coverage_norm ORDER BY 1")
            ).all()
            assert [tuple(r) for r in rows] == [("radar", None, 4_000_000.0), ("synoptic", 0.1, None)]
        with pytest.raises(Exception, match="ck_coverage_norm_spacing_range"), engine.begin() as conn:
            conn.execute(text("UPDATE coverage_norm SET spacing_km = 5000 WHERE station_type = 'synoptic'"))
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM coverage_norm"))
        engine.dispose()
        command.upgrade(config, "head")
