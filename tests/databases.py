"""Throwaway databases for tests: created on the test server, migrated with Alembic, dropped after."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from alembic import command
from sqlalchemy import create_engine
from sqlmodel import Session

from api.cli import alembic_config
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.province.service import load_provinces
from domain.settings import Settings
from seed.provinces import province_features

SERVER_URL = os.environ.get("HYDROMET_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:55432/postgres")


def _admin(sql: str) -> None:
    with psycopg.connect(libpq_url(SERVER_URL), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def committed_database(label: str) -> Iterator[str]:
    """Yield the URL of a fresh migrated database (provinces loaded) for committed data; drop it after."""
    name = f"hydromet_test_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin(f"CREATE DATABASE {name}")
    url = sqlalchemy_url(SERVER_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        command.upgrade(alembic_config(Settings(database_url=url)), "head")  # type: ignore[arg-type]
        engine = create_engine(url)
        with Session(engine) as session:
            load_provinces(session, features=province_features())
        engine.dispose()
        yield url
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
