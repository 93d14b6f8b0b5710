"""The hot reads (one OGC item, an OGC page, one shared station) admit in their handler: same limit, same counts."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.deps import get_primary_session, get_read_session, get_session
from api.main import create_app
from domain.access.models import Role
from domain.settings import Settings
from tests.factories import make_key, make_station
from tests.factories_sharing import make_partner


@pytest.fixture
def tight_client(settings: Settings, db: Session) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    app.dependency_overrides[get_session] = lambda: db
    app.dependency_overrides[get_read_session] = lambda: db
    app.dependency_overrides[get_primary_session] = lambda: db
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_hot_reads_are_limited_and_counted_like_every_other_route(
    tight_client: TestClient, db: Session
) -> None:
    partner = make_partner(db, "PARTNER", {})
    station = make_station(db)
    paths = [
        f"/share/v1/stations/{station.id}",
        "/ogc/collections/stations/items",
        f"/ogc/collections/stations/items/{station.id}",
        f"/share/v1/stations/{station.id}",
    ]
    statuses = [tight_client.get(path, headers=partner).status_code for path in paths]
    assert statuses == [200, 200, 200, 429]
    admin = make_key(db, "NCHMF", Role.admin)
    usage = tight_client.get("/share/v1/usage", params={"organization": "PARTNER"}, headers=admin).json()
    assert sum(day["requests"] for day in usage) == 3


def test_an_anonymous_item_reader_is_limited_by_address(tight_client: TestClient, db: Session) -> None:
    station = make_station(db)
    statuses = [
        tight_client.get(f"/ogc/collections/stations/items/{station.id}").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
