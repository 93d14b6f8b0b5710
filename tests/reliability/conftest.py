"""Fixtures of the reliability tests: a committed database of their own, keys per role, real servers."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from domain.settings import Settings
from tests.reliability.support import Keys, Server, create_database, drop_database, make_keys, run_server

BODY_LIMIT = 64 * 1024


@pytest.fixture(scope="session")
def rel_url() -> Iterator[str]:
    """A migrated database whose writes are committed (servers in other processes must see them)."""
    url = create_database("main")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def keys(rel_url: str) -> Keys:
    return make_keys(rel_url)


@pytest.fixture(scope="session")
def rel_settings(rel_url: str) -> Settings:
    return Settings(
        database_url=rel_url,  # type: ignore[arg-type]
        environment="test",
        db_pool_size=4,
        max_body_bytes=BODY_LIMIT,
        max_import_bytes=2 * BODY_LIMIT,
        rate_limit_per_minute=1_000_000,
        # one maximum for every paged route here, so "over the maximum" is one number; the feed's own
        # default maximum (10,000) is tested in tests/api/test_share_feed_pages.py
        feed_max_page_size=1000,
    )


@pytest.fixture
def rel_client(rel_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app bound to the reliability database (no session override)."""
    with TestClient(create_app(rel_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def server(rel_url: str, keys: Keys, server_dir: Path) -> Iterator[Server]:
    """A real uvicorn serving the reliability database for the whole session."""
    with run_server(rel_url, server_dir) as running:
        yield running
