"""Error mapping: domain errors and request errors rendered as RFC 9457 problem+json (no database)."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import errors
from domain import errors as e
from domain.access.service import DuplicateOrganization, OrganizationNotFound
from domain.settings import Settings
from domain.station.rules import MalformedWigosId, PointOutsideServiceArea
from domain.station.service import DuplicateStationCode, StationClosed, StationNotFound

BASE = "https://hydromet.gov.vn/problems"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (StationNotFound("x"), 404),
        (OrganizationNotFound("x"), 404),
        (DuplicateStationCode("x"), 409),
        (DuplicateOrganization("x"), 409),
        (PointOutsideServiceArea("x"), 422),
        (MalformedWigosId("x"), 422),
        (StationClosed("x"), 422),
        (e.InvalidQuery("x"), 400),
        (e.AccessDenied("x"), 403),
        (e.Unauthenticated("x"), 401),
        (e.PreconditionRequired("x"), 428),
        (e.PreconditionFailed("x"), 412),
        (e.PayloadTooLarge("x"), 413),
        (e.TooManyRequests("x"), 429),
        (e.ServiceUnavailable("x"), 503),
        (e.DomainError("x"), 400),
    ],
)
def test_status_of_resolves_along_the_class_hierarchy(error: e.DomainError, status: int) -> None:
    assert errors.status_of(error) == status


class Body(BaseModel):
    name: str
    count: int


class Teapot(e.Conflict):
    code = "teapot-conflict"
    title = "Teapot conflict"


def _app() -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(problem_base_url=BASE)  # type: ignore[arg-type]
    errors.install(app)

    @app.get("/conflict")
    def conflict() -> None:
        raise Teapot("the pot is taken", pointer="#/pot", holder="someone")

    @app.get("/clash")
    def clash() -> None:
        raise e.NotFound("no such thing", code="X-1", status="gone", type="evil")

    @app.get("/unauthenticated")
    def unauthenticated() -> None:
        raise e.Unauthenticated("a key is required")

    @app.get("/slow-down")
    def slow_down() -> None:
        raise e.TooManyRequests("too fast", retry_after=7)

    @app.get("/query")
    def query(limit: int) -> int:
        return limit

    @app.post("/body")
    def body(data: Body) -> Body:
        return data

    @app.get("/http")
    def http() -> None:
        raise HTTPException(status_code=405, detail="Method Not Allowed", headers={"Allow": "GET"})

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 in an internal message")

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(_app(), raise_server_exceptions=False) as c:
        yield c


def test_domain_error_renders_type_title_status_detail_instance_and_extensions(client: TestClient) -> None:
    response = client.get("/conflict")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": f"{BASE}/teapot-conflict",
        "title": "Teapot conflict",
        "status": 409,
        "detail": "the pot is taken",
        "instance": "/conflict",
        "pointer": "#/pot",
        "holder": "someone",
    }


def test_extension_members_never_replace_the_standard_ones(client: TestClient) -> None:
    body = client.get("/clash").json()
    assert (body["type"], body["status"], body["detail"]) == (f"{BASE}/not-found", 404, "no such thing")
    assert body["code"] == "X-1"


def test_unauthenticated_problem_carries_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/unauthenticated")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == f"{BASE}/unauthenticated"


def test_too_many_requests_sets_retry_after_and_keeps_it_out_of_the_body(client: TestClient) -> None:
    response = client.get("/slow-down")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert "retry_after" not in response.json()


def test_bad_query_parameter_is_a_400_problem_naming_it(client: TestClient) -> None:
    response = client.get("/query", params={"limit": "many"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"{BASE}/invalid-query"
    assert body["errors"][0]["pointer"] == "#/limit"
    assert body["errors"][0]["in"] == "query"
    assert "#/limit" in body["detail"]


def test_bad_body_is_a_422_problem_with_a_pointer_per_field(client: TestClient) -> None:
    response = client.post("/body", json={"name": "x", "count": "lots", "extra": 1})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == f"{BASE}/invalid-body"
    assert {err["pointer"] for err in body["errors"]} == {"#/count"}
    assert all(err["in"] == "body" for err in body["errors"])


def test_http_exception_is_an_about_blank_problem_keeping_its_headers(client: TestClient) -> None:
    response = client.get("/http")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET"
    assert response.json()["type"] == "about:blank"


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/nowhere"


def test_unexpected_error_is_a_500_problem_that_reveals_nothing_internal(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"{BASE}/internal-error"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_pointer_drops_the_location_prefix_and_validator_steps() -> None:
    assert errors._pointer(("body", "location", "coordinates", 1)) == "#/location/coordinates/1"
    assert errors._pointer(("body", "function-after[_check(), Point]", "coordinates")) == "#/coordinates"
    assert errors._pointer(("query", "limit")) == "#/limit"


def test_problem_responses_declares_problem_json_for_each_status() -> None:
    declared = errors.problem_responses(404, 409)
    assert set(declared) == {404, 409}
    assert declared[404]["model"] is errors.Problem
    assert "application/problem+json" in declared[409]["content"]
