"""Test fixtures: a throwaway PostGIS database, migrated once; each test runs inside a rolled-back transaction."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine
from sqlmodel import Session

from api.deps import get_primary_session, get_read_session, get_session
from api.main import create_app
from domain.settings import Settings
from tests.databases import committed_database


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Create a fresh database for this test run, migrate it with Alembic, drop it at the end."""
    with committed_database("run") as url:
        yield url


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
    application.dependency_overrides[get_read_session] = lambda: db
    application.dependency_overrides[get_primary_session] = lambda: db
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
