"""Test fixtures: a throwaway PostGIS database, migrated once; each test runs inside a rolled-back transaction."""

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine
from sqlmodel import Session

from api.cli import alembic_config
from api.deps import get_session
from api.main import create_app
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.province.service import load_provinces
from domain.settings import Settings
from seed.provinces import province_features

SERVER_URL = os.environ.get("HYDROMET_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:55432/postgres")


def _admin(sql: str) -> None:
    with psycopg.connect(libpq_url(SERVER_URL), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Create a fresh database for this test run, migrate it with Alembic, drop it at the end."""
    name = f"hydromet_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
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


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", db_pool_size=4)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(str(settings.database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the outer transaction, rolled back after the test."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture
def app(settings: Settings, db: Session):  # type: ignore[no-untyped-def]
    application = create_app(settings)
    application.dependency_overrides[get_session] = lambda: db
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
