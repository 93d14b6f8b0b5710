"""Concurrent approvals on a committed database: two requests on one station never both apply.

Two reviewers approve at the same moment (threads released by a barrier, each request on its own
connection): the station row lock serializes them, so one request is applied and the other is
refused as stale; the same request approved twice is applied once.
"""

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from api.main import create_app
from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization
from domain.settings import Settings
from domain.station.models import StationCreate
from domain.station.service import register_station
from tests.databases import committed_database
from tests.factories import station_body

ROUNDS = 4


@pytest.fixture(scope="module")
def review_db() -> Iterator[str]:
    with committed_database("review") as url:
        yield url


@pytest.fixture(scope="module")
def keys(review_db: str) -> dict[str, dict[str, str]]:
    engine = create_engine(review_db)
    out = {}
    with Session(engine) as session:
        for code, kind, review in (
            ("MOT", OrganizationKind.ministry, True),
            ("NCHMF", OrganizationKind.national_agency, False),
        ):
            ensure_organization(
                session, data=OrganizationCreate(code=code, name=code, kind=kind, review_required=review)
            )
        session.commit()
        for name, org, role in (
            ("editor", "MOT", Role.editor),
            ("a", "NCHMF", Role.reviewer),
            ("b", "NCHMF", Role.reviewer),
        ):
            out[name] = {"Authorization": f"Bearer {create_key(session, organization=org, role=role)[1]}"}
    engine.dispose()
    return out


def new_station(url: str) -> uuid.UUID:
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        station = register_station(
            session, principal=SYSTEM, data=StationCreate.model_validate(station_body(owner="MOT"))
        )
    engine.dispose()
    return station.id


def approve_together(client: TestClient, approvals: list[tuple[dict[str, str], str]]) -> list[Any]:
    """Send the approvals at the same moment from one thread each; return the responses in order."""
    barrier, responses = threading.Barrier(len(approvals)), [None] * len(approvals)

    def run(n: int, headers: dict[str, str], request_id: str) -> None:
        barrier.wait()
        responses[n] = client.post(f"/api/v1/change-requests/{request_id}/approve", headers=headers)  # type: ignore[call-overload]

    threads = [threading.Thread(target=run, args=(n, h, r)) for n, (h, r) in enumerate(approvals)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def revisions(url: str, station_id: uuid.UUID) -> list[tuple[int, str | None]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT revision, approved_by FROM station_revision WHERE station_id = :s ORDER BY revision"
            ),
            {"s": station_id},
        ).all()
    engine.dispose()
    return [(int(r), a) for r, a in rows]


def submit_rename(
    client: TestClient, keys: dict[str, dict[str, str]], station_id: uuid.UUID, name: str
) -> str:
    response = client.patch(
        f"/api/v1/stations/{station_id}", json={"name": name}, headers=keys["editor"] | {"If-Match": '"r1"'}
    )
    assert response.status_code == 202, response.text
    request_id: str = response.json()["id"]
    return request_id


def test_two_requests_on_one_station_approved_at_once_apply_one_and_the_other_is_stale(
    review_db: str, keys: dict[str, dict[str, str]]
) -> None:
    app = create_app(Settings(database_url=review_db, environment="test", db_pool_size=8))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(ROUNDS):
            station_id = new_station(review_db)
            first, second = (submit_rename(client, keys, station_id, f"Tên {n}") for n in (1, 2))
            answers = approve_together(client, [(keys["a"], first), (keys["b"], second)])
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
            stale = next(r for r in answers if r.status_code == 409)
            assert stale.json()["type"].endswith("/change-request-stale")
            assert [rev for rev, _ in revisions(review_db, station_id)] == [1, 2]
            winner = 0 if answers[0].status_code == 200 else 1
            name = client.get(f"/api/v1/stations/{station_id}", headers=keys["a"]).json()["name"]
            assert name == f"Tên {winner + 1}"


def test_one_request_approved_twice_at_once_is_applied_once(
    review_db: str, keys: dict[str, dict[str, str]]
) -> None:
    app = create_app(Settings(database_url=review_db, environment="test", db_pool_size=8))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(ROUNDS):
            station_id = new_station(review_db)
            request_id = submit_rename(client, keys, station_id, "Tên mới")
            answers = approve_together(client, [(keys["a"], request_id), (keys["b"], request_id)])
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
            refused = next(r for r in answers if r.status_code == 409)
            assert refused.json()["type"].endswith("/change-request-not-submitted")
            assert len(revisions(review_db, station_id)) == 2
