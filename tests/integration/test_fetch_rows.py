"""The station page's driver-level read raises what SQLAlchemy raises, so handlers and recovery hold."""

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session

from domain.access.models import Organization, OrganizationKind
from domain.db.engine import libpq_url, make_engine
from domain.db.fetch import fetch_rows
from domain.settings import Settings


@pytest.fixture
def read_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(str(settings.database_url), isolation_level="AUTOCOMMIT", pool_size=1)
    yield engine
    engine.dispose()


def test_rows_come_back_as_tuples_with_named_values(db: Session) -> None:
    rows = fetch_rows(db, "SELECT %(a)s::int + 1, %(b)s::text", {"a": 41, "b": "x"})
    assert rows == [(42, "x")]


def test_a_bad_value_is_sqlalchemys_data_error(db: Session) -> None:
    with pytest.raises(DataError) as caught:
        fetch_rows(db, "SELECT 1 / %(zero)s::int", {"zero": 0})
    assert isinstance(caught.value.orig, psycopg.errors.DivisionByZero)


def test_a_statement_timeout_is_an_operational_error(read_engine: Engine) -> None:
    with Session(read_engine) as session:
        session.connection().exec_driver_sql("SET statement_timeout = 50")
        with pytest.raises(OperationalError) as caught:
            fetch_rows(session, "SELECT pg_sleep(2)", {})
    assert isinstance(caught.value.orig, psycopg.errors.QueryCanceled)
    assert not caught.value.connection_invalidated


def test_a_lost_connection_is_invalidated_and_the_next_read_reconnects(
    read_engine: Engine, database_url: str
) -> None:
    with Session(read_engine) as session:
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(OperationalError) as caught:
            fetch_rows(session, "SELECT 1", {})
    assert caught.value.connection_invalidated
    with Session(read_engine) as session:
        assert fetch_rows(session, "SELECT pg_backend_pid() <> %(old)s", {"old": pid}) == [(True,)]
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_pending_changes_are_flushed_before_the_read_as_execute_does(db: Session) -> None:
    organization = Organization(code="FLUSHED", name="Flushed first", kind=OrganizationKind.province)
    db.add(organization)
    rows = fetch_rows(db, "SELECT name FROM organization WHERE code = %(code)s", {"code": "FLUSHED"})
    assert rows == [("Flushed first",)]


def test_text_as_bytes_gives_text_columns_as_their_utf8_bytes(db: Session) -> None:
    sql = "SELECT %(name)s::text, %(name)s::varchar, %(n)s::int"
    rows = fetch_rows(db, sql, {"name": "Trạm Hà Nội", "n": 7}, text_as_bytes=True)
    assert rows == [("Trạm Hà Nội".encode(), "Trạm Hà Nội", 7)]
    assert fetch_rows(db, sql, {"name": "Huế", "n": 1}) == [("Huế", "Huế", 1)]


def test_engines_read_text_as_utf8_whatever_the_environment_says(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGCLIENTENCODING", "LATIN1")
    engine = make_engine(settings, pool_size=1, autocommit=True)
    try:
        with Session(engine) as session:
            assert fetch_rows(session, "SHOW client_encoding", {}) == [("UTF8",)]
            rows = fetch_rows(session, "SELECT %(s)s::text", {"s": "Sơn La"}, text_as_bytes=True)
            assert rows == [("Sơn La".encode(),)]
    finally:
        engine.dispose()
