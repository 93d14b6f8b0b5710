"""Stateful fuzzing that reaches the core: schemathesis follows the OpenAPI links (api/links.py) to create
organizations, keys, stations, equipment, norms, coverage norms, zones and agreements, then reads,
changes, rotates and deletes them, for every role.

Creating steps run as an admin (an editor's stations and equipment as the editor itself), every other
step as the role under test. Bodies of creating steps keep what schemathesis generated except the
few fields random data cannot get right (a point inside Viet Nam, an existing owner and equipment kind,
an unused code), so they mostly succeed and the chain goes on. No answer may be a 5xx or break the
schema its operation declares. Bounded and seeded: HYDROMET_FUZZ_SCENARIOS scenarios of at most
HYDROMET_FUZZ_STEPS steps per role (HYDROMET_FUZZ_SEED changes the seed).
"""

import itertools
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi import stateful
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine
from sqlmodel import Session

from api.main import create_app
from domain.db.engine import sqlalchemy_url
from domain.settings import Settings
from tests.factories_equipment import TEST_AUTO, load_kinds
from tests.reliability.support import Keys, create_database, drop_database, make_keys

ROLES = ["admin", "editor", "viewer", "partner"]
SCENARIOS = int(os.environ.get("HYDROMET_FUZZ_SCENARIOS", "12"))
STEPS = int(os.environ.get("HYDROMET_FUZZ_STEPS", "12"))
SEED = int(os.environ.get("HYDROMET_FUZZ_SEED", "18"))
# no 5xx; every answer in the media type and schema its operation declares for its status
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
CREATORS = {
    "POST /api/v1/organizations", "POST /api/v1/organizations/{organization_id}/keys", "POST /api/v1/norms",
    "POST /api/v1/coverage-norms", "POST /api/v1/zones", "PUT /share/v1/agreements/{organization_id}",
    "POST /api/v1/stations", "POST /api/v1/stations/{station_id}/equipment",
}  # fmt: skip
REPAIRED = {"POST /api/v1/equipment/{equipment_id}/maintenance"}
EDITOR_CREATES = {"POST /api/v1/stations", "POST /api/v1/stations/{station_id}/equipment"}
# operations on one resource (a path with an id) that must succeed at least this many times per run:
# without links, a fuzzer only guesses ids, and these answered 404 and nothing else
REACHED_AT_LEAST = {"admin": 6, "editor": 3, "viewer": 3, "partner": 0}
# fixed points well inside Viet Nam (lon, lat), used in turn
POINTS = [(105.85, 21.03), (108.20, 16.05), (106.70, 10.78), (107.59, 16.46), (105.78, 10.03)]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:geojson_pydantic.base")


@dataclass
class Run:
    """What one role's run saw: failures (first of each kind) and statuses per operation."""

    failures: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    scenarios: int = 0


@dataclass
class Target:
    schema: Any
    keys: Keys


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    url = create_database("fuzz_stateful")
    try:
        keys = make_keys(url)
        engine = create_engine(sqlalchemy_url(url))
        with Session(engine) as session:
            load_kinds(session)
        engine.dispose()
        settings = Settings(
            database_url=url,  # type: ignore[arg-type]
            environment="test",
            db_pool_size=4,
            max_body_bytes=256 * 1024,
            rate_limit_per_minute=1_000_000,
        )
        app = create_app(settings)
        yield Target(schema=schemathesis.openapi.from_asgi("/openapi.json", app), keys=keys)
        app.state.engine.dispose()
        app.state.read_engine.dispose()
    finally:
        drop_database(url)


_serial = itertools.count(1)


def repair(label: str, body: Any, owner: str) -> None:
    """Set the fields of a creating body that random data cannot get right (in place; others stay)."""
    if not isinstance(body, dict):
        return
    n = next(_serial)
    lon, lat = POINTS[n % len(POINTS)]
    if label == "POST /api/v1/stations":
        body.update(national_code=f"FZ-{n}", owner=owner, operator=None, wigos_ids=[],
                    location={"type": "Point", "coordinates": [lon, lat]})  # fmt: skip
    elif label == "POST /api/v1/stations/{station_id}/equipment":
        body.update(kind=TEST_AUTO, installed_date="2024-01-01", status="operational")
    elif label == "POST /api/v1/equipment/{equipment_id}/maintenance":
        body.update(performed_on="2025-01-01")
    elif label == "POST /api/v1/norms":
        body.update(kind=TEST_AUTO)
    elif label == "POST /api/v1/organizations":
        body.update(code=f"FZ{n}", province=None)
    elif label == "POST /api/v1/zones":
        ring = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
        props = body.get("properties") if isinstance(body.get("properties"), dict) else {}
        props.update(code=f"fz-{n}", hazard="flood" if props.get("category") == "disaster_prone" else None)
        body.update(type="Feature", geometry={"type": "Polygon", "coordinates": [ring]}, properties=props)
    elif label == "PUT /share/v1/agreements/{organization_id}":
        body.update(provinces=None)
    elif (
        label == "POST /api/v1/coverage-norms" and body.get("spacing_km") and body.get("area_per_station_km2")
    ):
        body.pop("area_per_station_km2")


def _entry_point(operation: Any, _node: Any, _produced: Any) -> bool:
    """Start scenarios at every creating or listing operation our links leave from.

    Schemathesis's own guess keeps POST /stations and GET /stations out (its dependency analysis
    thinks `owner` names a resource nothing produces), so no scenario would ever create a station.
    """
    return operation.method in ("get", "post") and not operation.path_parameters


def state_machine(schema: Any) -> Any:
    """Return schemathesis's state machine built from our links only (none inferred), with our entry points."""
    schema.config.phases.stateful.inference.algorithms = []
    with mock.patch.object(stateful, "is_likely_root_transition", _entry_point):
        return schema.as_state_machine()


def machine_for(target: Target, role: str, run: Run, client: Any) -> Any:
    """Return the state machine of one role: who sends each step, the repairs, the checks."""
    base = state_machine(target.schema)

    class Machine(base):  # type: ignore[misc, valid-type]
        def teardown(self) -> None:
            run.scenarios += 1

        def before_call(self, case: Any) -> None:
            label = case.operation.label
            if label in CREATORS or label in REPAIRED:
                repair(label, case.body, "RELA")

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            label = case.operation.label
            acting = role
            if label in CREATORS and not (role == "editor" and label in EDITOR_CREATES):
                acting = "admin"
            return {"headers": target.keys.headers(acting), "session": client}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            del additional_checks, kwargs
            label = case.operation.label
            run.statuses[label].add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:  # collected: every scenario runs and nothing is shrunk
                for failure in group.exceptions:
                    kind = f"{label}: {response.status_code} {failure.title}"
                    run.failures.setdefault(kind, f"{kind}\n{str(failure)[:1500]}")

    return Machine


def run_role(target: Target, role: str) -> Run:
    """Run the bounded, seeded stateful scenarios of one role.

    The database changes under the fuzzer, so Hypothesis may find a scenario it replays going another
    way (Flaky); like schemathesis's own runner, that ends a round and the next round starts from the
    next seed, until SCENARIOS scenarios ran (or as many rounds).
    """
    run = Run()
    with asgi.get_client(target.schema.app) as client:
        machine = machine_for(target, role, run, client)
        for attempt in range(SCENARIOS):
            if run.scenarios >= SCENARIOS:
                break
            test_case = type("Case", (machine.TestCase,), {})
            test_case.settings = hypothesis.settings(
                max_examples=SCENARIOS - run.scenarios, stateful_step_count=STEPS, deadline=None,
                database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            hypothesis.seed(SEED + attempt)(test_case)
            try:
                test_case().runTest()
            except hypothesis.errors.Flaky:
                continue
    return run


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_stateful_fuzzing_reaches_the_core_and_finds_no_5xx_and_no_schema_break(
    target: Target, role: str
) -> None:
    run = run_role(target, role)
    assert not run.failures, "\n\n".join(run.failures.values())
    reached = {
        label for label, codes in run.statuses.items() if "{" in label and any(200 <= c < 300 for c in codes)
    }
    assert len(reached) >= REACHED_AT_LEAST[role], (sorted(reached), dict(run.statuses))
    linked = {label for label in run.statuses if "{" in label and label not in CREATORS}
    assert len(linked) >= 8, dict(run.statuses)  # every role's steps follow the links
