"""Property-based fuzzing of every operation of the OpenAPI document, with a key of each role.

Schemathesis reads the app's own /openapi.json, so an endpoint added later is fuzzed too. Each operation
gets HYDROMET_FUZZ_EXAMPLES valid and invalid requests (path ids taken from real rows half the time);
no answer may be a 5xx or break the schema its operation declares for that status and media type.
Examples are derandomized (the same in every run) unless HYDROMET_FUZZ_SEED is set.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from pydantic import BaseModel
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.main import create_app
from domain.db.engine import libpq_url
from domain.settings import Settings
from tests.reliability.support import Keys, add_station, create_database, drop_database, make_keys

ROLES = ["admin", "editor", "viewer", "partner", "anonymous"]
EXAMPLES = int(os.environ.get("HYDROMET_FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("HYDROMET_FUZZ_SEED")
CHECKS = [not_a_server_error, response_schema_conformance]
# geojson-pydantic warns (it does not fail) on a bbox crossing the antimeridian; pytest would make it an error
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:geojson_pydantic.base")


@dataclass
class FuzzTarget:
    """The app under fuzzing, its schema, keys, and real ids to put in paths."""

    schema: Any
    keys: Keys
    known: dict[str, list[str]] = field(default_factory=dict)


def first_ids(url: str, sql: str) -> list[str]:
    """Return the first column of a query, or nothing when its table does not exist (yet)."""
    try:
        with psycopg.connect(libpq_url(url)) as conn:
            return [str(r[0]) for r in conn.execute(sql)]  # type: ignore[arg-type]
    except psycopg.errors.UndefinedTable:
        return []


@pytest.fixture(scope="module")
def target() -> Iterator[FuzzTarget]:
    url = create_database("fuzz")
    try:
        keys = make_keys(url)
        public = add_station(url, owner="RELA")
        restricted = add_station(url, owner="RELA", data_policy="restricted")
        settings = Settings(
            database_url=url,  # type: ignore[arg-type]
            environment="test",
            db_pool_size=4,
            max_body_bytes=256 * 1024,
            rate_limit_per_minute=1_000_000,
        )
        app = create_app(settings)
        known = {
            "station_id": [public["id"], restricted["id"]],
            "organization_id": ["RELA", "RELP"],
            "equipment_id": first_ids(url, "SELECT id FROM equipment_item LIMIT 2"),
            "norm_id": first_ids(url, "SELECT id FROM maintenance_norm LIMIT 2"),
            "zone_id": first_ids(url, "SELECT code FROM priority_zone LIMIT 2"),
            "code": first_ids(url, "SELECT code FROM priority_zone LIMIT 2"),
            "collection_id": ["stations", "zones"],
            "feature_id": [public["id"], restricted["id"]],
        }
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        yield FuzzTarget(schema=schema, keys=keys, known={k: v for k, v in known.items() if v})
        app.state.engine.dispose()
        app.state.read_engine.dispose()
    finally:
        drop_database(url)


def strategy(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Mix valid and invalid requests; half of the valid ones name real rows in their path."""
    choices = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            choices.append(operation.as_strategy(generation_mode=mode))
        except Exception:  # noqa: BLE001 - some operations have nothing to negate
            continue
    names = [p.name for p in operation.path_parameters if p.name in known]
    if names:
        real = [
            operation.as_strategy(path_parameters={n: known[n][i % len(known[n])] for n in names})
            for i in range(2)
        ]
        choices += [st.one_of(real), st.one_of(real)]
    return st.one_of(choices)


def curl(case: Any) -> str:
    """Return the reproducing command, with the key hidden."""
    return str(case.as_curl_command(headers={"Authorization": "Bearer <key>"}))


def fuzz_operation(
    operation: Any, headers: dict[str, str], known: dict[str, list[str]], session: Any = None
) -> tuple[list[str], int]:
    """Run the bounded examples of one operation; return its failures (the first of each kind) and calls."""
    failures: dict[str, str] = {}
    calls = [0]

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy(operation, known))
    def run(case: Any) -> None:
        calls[0] += 1
        try:
            response = case.call(headers=headers, session=session)
        except Exception as exc:  # noqa: BLE001 - the app raised through the ASGI transport: a 500
            failures.setdefault("500 raised", f"{operation.label}: 500 raised {exc!r}\n  {curl(case)}")
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:  # collected, so every operation runs and nothing is shrunk
            for failure in group.exceptions:
                kind = f"{response.status_code} {failure.title}"
                failures.setdefault(kind, f"{operation.label}: {kind}\n{str(failure)[:1500]}\n  {curl(case)}")

    if SEED is not None:
        run = hypothesis.seed(int(SEED))(run)
    run()
    return list(failures.values()), calls[0]


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_fuzzing_every_operation_finds_no_5xx_and_no_schema_break(target: FuzzTarget, role: str) -> None:
    headers = target.keys.headers(role)
    failures: list[str] = []
    operations = calls = 0
    # one client for the run: a client per call would run the app's lifespan (and drop its pool) each time
    with asgi.get_client(target.schema.app) as session:
        for result in target.schema.get_all_operations():
            operation = result.ok()
            operations += 1
            found, sent = fuzz_operation(operation, headers, target.known, session)
            failures += found
            calls += sent
    assert operations > 10 and calls > 3 * operations, (operations, calls)
    assert not failures, "\n\n".join(failures)


def test_fuzzing_covers_every_route_of_the_app(target: FuzzTarget) -> None:
    app = target.schema.app
    routes = {
        f"{method} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    fuzzed = {op.ok().label for op in target.schema.get_all_operations()}
    assert routes <= fuzzed
    assert {"POST /api/v1/stations", "PATCH /api/v1/stations/{station_id}"} <= fuzzed


def test_the_fuzzer_reports_a_server_error_and_a_broken_schema() -> None:
    app = FastAPI()

    class Thing(BaseModel):
        name: str

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/thing", response_model=Thing)
    def thing() -> JSONResponse:
        return JSONResponse({"name": 42})

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = [f for op in schema.get_all_operations() for f in fuzz_operation(op.ok(), {}, {})[0]]
    assert any(f.startswith("GET /boom: 500") for f in failures), failures
    assert any(f.startswith("GET /thing: 200") for f in failures), failures
