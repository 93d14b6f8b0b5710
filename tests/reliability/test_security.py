"""Security over every route the app serves, found from its routes and OpenAPI document (so new ones count).

Writes refuse every caller who may not write; no route shows a restricted station to a partner or the
public; bodies over the limit get 413, page sizes over the maximum 400; keys never reach a log; every
response carries the security headers; CORS is closed by default.
"""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from schemathesis.python import asgi

from domain.settings import Settings
from tests.factories import station_body
from tests.reliability.conftest import BODY_LIMIT
from tests.reliability.support import Keys, Server, add_station, fingerprint

PROBLEM = "application/problem+json"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
GUARDED = ("/api/", "/share/")  # every route under these needs a key
OUTSIDERS = ["viewer", "partner", "expired", "revoked", "anonymous"]
OWNED_BY_BODY = {"POST /api/v1/stations", "POST /api/v1/imports/stations"}  # the body names RELA as owner
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:geojson_pydantic.base")


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Yield (method, route) for every documented route of the app."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route


def fill(path: str, ids: dict[str, str]) -> str:
    """Put known ids into a route's path parameters, a random UUID where none is known."""
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: ids.get(m[1], str(uuid.uuid4())), path)


@pytest.fixture(scope="module")
def restricted(rel_url: str, keys: Keys) -> dict[str, Any]:
    """A restricted station of RELA (with a public one beside it) and ids for every path parameter."""
    secret = add_station(rel_url, owner="RELA", data_policy="restricted", name="Trạm mật Bí Ẩn Xyzzy")
    public = add_station(rel_url, owner="RELA", data_policy="core", name="Trạm công khai Plugh")
    ids = {"station_id": secret["id"], "feature_id": secret["id"], "organization_id": "RELA"}
    return {"secret": secret, "public": public, "ids": ids}


@pytest.fixture(scope="module")
def agreement(rel_settings: Settings, keys: Keys) -> None:
    """Let the partner see every non-restricted station, when the sharing API is served."""
    from api.main import create_app

    with TestClient(create_app(rel_settings)) as client:
        path = "/share/v1/agreements/RELP"
        if any(r.path == "/share/v1/agreements/{organization_id}" for _, r in api_routes(client.app)):  # type: ignore[arg-type]
            r = client.put(
                path, json={"data_policies": ["core", "recommended"]}, headers=keys.headers("admin")
            )
            assert r.status_code in (200, 201), r.text


def sample_cases(operation: Any, path_parameters: dict[str, str], n: int = 3) -> list[Any]:
    """Draw a few schema-valid requests for an operation (deterministic)."""
    cases: list[Any] = []
    params = {p.name: path_parameters[p.name] for p in operation.path_parameters if p.name in path_parameters}

    @hypothesis.settings(
        max_examples=n, database=None, derandomize=True, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=operation.as_strategy(path_parameters=params or None))
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases


def handmade(label: str, client: TestClient, keys: Keys, station_id: str) -> list[dict[str, Any]]:
    """Requests that would succeed for the owner's editor, for the routes whose bodies we know."""
    url = f"/api/v1/stations/{station_id}"
    if label == "POST /api/v1/stations":
        return [{"json": station_body(owner="RELA", national_code=f"SEC-{uuid.uuid4().hex[:8]}")}]
    if label == "POST /api/v1/imports/stations":
        row = (
            f"SEC-{uuid.uuid4().hex[:8]},Trạm nhập trái phép,specialized,rain_gauge,automatic,21.0,105.8,RELA"
        )
        csv = "national_code,name,network,station_types,automation,latitude,longitude,owner\n" + row + "\n"
        return [{"content": csv.encode(), "headers": {"Content-Type": "text/csv"}}]
    if label.startswith("PATCH /api/v1/stations/"):
        etag = client.get(url, headers=keys.headers("admin")).headers.get("etag", '"r1"')
        return [{"json": {"name": "Đổi tên trái phép"}, "headers": {"If-Match": etag}}]
    if label.startswith("DELETE /api/v1/stations/"):
        return [{"params": {"reason": "đóng trái phép"}}]
    return []


def attempts(
    client: TestClient, session: Any, keys: Keys, operation: Any, ids: dict[str, str], who: list[str]
) -> Iterator[tuple[str, str, Any]]:
    """Send the operation's handmade and sampled requests as each person; yield (person, how, response)."""
    url = fill(operation.path, ids)
    cases = sample_cases(operation, ids)
    for person in who:
        for extra in handmade(operation.label, client, keys, ids["station_id"]):
            headers = extra.pop("headers", {}) | keys.headers(person)
            yield person, "handmade", client.request(operation.method.upper(), url, headers=headers, **extra)
        for case in cases:
            yield person, "sampled", case.call(headers=keys.headers(person), session=session)


def test_every_write_refuses_outsiders_and_other_organizations_editors(
    rel_client: TestClient, rel_url: str, keys: Keys, restricted: dict[str, Any]
) -> None:
    app: FastAPI = rel_client.app  # type: ignore[assignment]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ids = restricted["ids"] | {"station_id": restricted["public"]["id"]}
    before = fingerprint(rel_url)
    tried, wrong, controls = 0, [], []
    with asgi.get_client(app) as session:  # one client: one lifespan, one connection pool
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.method.upper() not in WRITES:
                continue
            targets_existing = any(p.name in ids for p in operation.path_parameters)
            who = OUTSIDERS + (
                ["other_editor"] if targets_existing or operation.label in OWNED_BY_BODY else []
            )
            for person, how, r in attempts(rel_client, session, keys, operation, ids, who):
                tried += 1
                if not refused(r, person):
                    wrong.append(f"{person} {operation.label} ({how}) -> {r.status_code} {r.text[:200]}")
            if handmade(operation.label, rel_client, keys, ids["station_id"]):
                controls.append(operation)
    assert tried > 50
    assert not wrong, "\n".join(wrong)
    assert fingerprint(rel_url) == before
    # the handmade requests were good ones: the owner's editor gets each through, so refusals meant "not you"
    for operation in controls:
        for extra in handmade(operation.label, rel_client, keys, ids["station_id"]):
            headers = extra.pop("headers", {}) | keys.headers("editor")
            r = rel_client.request(
                operation.method.upper(), fill(operation.path, ids), headers=headers, **extra
            )
            assert 200 <= r.status_code < 300, (operation.label, r.status_code, r.text[:300])


def refused(r: Any, person: str) -> bool:
    """A refusal is a 4xx problem; a missing, expired or revoked key is always 401."""
    if person in ("anonymous", "expired", "revoked"):
        return bool(r.status_code == 401)
    content_type = r.headers.get("content-type", "")
    content_type = content_type[0] if isinstance(content_type, list) else content_type  # schemathesis: lists
    return 400 <= r.status_code < 500 and content_type.startswith(PROBLEM)


def test_expired_and_revoked_keys_get_401_on_every_guarded_route(
    rel_client: TestClient, keys: Keys, restricted: dict[str, Any]
) -> None:
    app: FastAPI = rel_client.app  # type: ignore[assignment]
    checked = 0
    for method, route in api_routes(app):
        if not route.path.startswith(GUARDED) and not route.path.startswith("/ogc"):
            continue
        for person, header in (("expired", "Authorization"), ("revoked", "X-API-Key")):
            value = f"Bearer {keys.expired}" if header == "Authorization" else keys.revoked
            r = rel_client.request(method, fill(route.path, restricted["ids"]), headers={header: value})
            assert r.status_code == 401, (person, method, route.path, r.text)
            assert r.headers["content-type"].startswith(PROBLEM)
            assert r.headers["www-authenticate"].startswith("Bearer")
            checked += 1
    assert checked > 20


def get_variants(app: FastAPI, route: APIRoute) -> list[dict[str, Any]]:
    """Query strings that widen a GET: every format, a bbox around the station, the largest page."""
    params = {p.alias for p in route.dependant.query_params} | {
        p.alias for dep in route.dependant.dependencies for p in dep.query_params
    }
    variants: list[dict[str, Any]] = [{}]
    if "limit" in params:
        variants.append({"limit": 1000 if route.path.startswith("/ogc") else 500})
    if "bbox" in params:
        variants.append({"bbox": "105.0,20.5,106.5,21.5"})
    if "q" in params:
        variants.append({"q": "Xyzzy"})
    if "f" in params:
        variants += [{"f": f} for f in ("json", "geojson", "csv", "wmdr", "html")]
    return variants


def test_no_route_shows_a_restricted_station_to_a_partner_or_the_public(
    rel_client: TestClient, keys: Keys, restricted: dict[str, Any], agreement: None
) -> None:
    app: FastAPI = rel_client.app  # type: ignore[assignment]
    secret = restricted["secret"]
    seen_public = False
    for method, route in api_routes(app):
        if method != "GET":
            continue
        for collection in ("stations", "zones"):
            ids = restricted["ids"] | {"collection_id": collection, "layer": collection}
            for params in get_variants(app, route):
                for person in ("partner", "anonymous"):
                    r = rel_client.get(fill(route.path, ids), params=params, headers=keys.headers(person))
                    assert r.status_code < 500, (route.path, params, person, r.text[:300])
                    assert_no_leak(rel_client, r, secret, route.path, ids, params, keys.headers(person))
                    seen_public |= r.status_code == 200 and restricted["public"]["id"] in r.text
    assert seen_public, "the public station was never shown: the test would prove nothing"


def assert_no_leak(
    client: TestClient, r: httpx.Response, secret: dict[str, Any], path: str, ids: dict[str, str],
    params: dict[str, Any], headers: dict[str, str],
) -> None:  # fmt: skip
    """The station's code and name never show; asked by id, the answer is the one for an unknown id."""
    assert secret["national_code"] not in r.text and "Xyzzy" not in r.text, (path, params, r.text[:300])
    if secret["id"] not in fill(path, ids):
        assert secret["id"] not in r.text, (path, params, r.text[:300])
        return
    unknown = str(uuid.uuid4())
    other = client.get(fill(path, ids | {k: unknown for k, v in ids.items() if v == secret["id"]}),
                       params=params, headers=headers)  # fmt: skip
    assert r.status_code == other.status_code, (path, params, r.status_code, other.status_code)
    assert r.text.replace(secret["id"], "ID") == other.text.replace(unknown, "ID"), (path, r.text[:300])


def guarded_get(client: TestClient, keys: Keys, url: str, params: dict[str, Any]) -> httpx.Response:
    """GET with the first key that is let in (admin, then partner, then none)."""
    r = client.get(url, params=params, headers=keys.headers("admin"))
    for person in ("partner", "anonymous"):
        if r.status_code not in (401, 403):
            break
        r = client.get(url, params=params, headers=keys.headers(person))
    return r


def test_page_sizes_over_the_maximum_get_400_naming_limit(
    rel_client: TestClient, rel_settings: Settings, keys: Keys, restricted: dict[str, Any], agreement: None
) -> None:
    app: FastAPI = rel_client.app  # type: ignore[assignment]
    over = rel_settings.max_page_size + 1
    paged = [
        (m, r) for m, r in api_routes(app) if m == "GET" and "limit" in {p["name"] for p in _params(app, r)}
    ]
    assert len(paged) >= 3
    for _, route in paged:
        url = fill(route.path, restricted["ids"] | {"collection_id": "stations"})
        r = guarded_get(rel_client, keys, url, {"limit": over})
        if route.path.startswith("/ogc"):
            # OGC API - Features 1.0 (7.15.4): a limit over the maximum is used as the maximum, not an error
            assert r.status_code == 200, (route.path, r.text[:300])
            assert len(r.json().get("features", [])) <= rel_settings.max_page_size
            continue
        assert r.status_code == 400, (route.path, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith(PROBLEM)
        assert "limit" in r.text
        assert guarded_get(rel_client, keys, url, {"limit": 0}).status_code == 400


def _params(app: FastAPI, route: APIRoute) -> list[dict[str, Any]]:
    spec = app.openapi()["paths"].get(route.path_format, {})
    return [p for op in spec.values() if isinstance(op, dict) for p in op.get("parameters", [])]


def body_routes(app: FastAPI) -> list[tuple[str, str]]:
    spec = app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, item in spec.items()
        for method, op in item.items()
        if method.upper() in WRITES and "requestBody" in op
    ]


def test_bodies_over_the_limit_get_413_declared_or_streamed(
    rel_client: TestClient, rel_settings: Settings, keys: Keys, rel_url: str, restricted: dict[str, Any]
) -> None:
    app: FastAPI = rel_client.app  # type: ignore[assignment]
    routes = body_routes(app)
    assert len(routes) >= 3
    # over every limit: the general one and the larger one of imports
    big = b'{"name": "' + b"x" * max(rel_settings.max_body_bytes, rel_settings.max_import_bytes) + b'"}'
    before = fingerprint(rel_url)
    for method, path in routes:
        url = fill(path, restricted["ids"])
        headers = keys.headers("admin") | {"Content-Type": "application/json", "If-Match": '"r1"'}
        declared = rel_client.request(method, url, content=big, headers=headers)
        streamed = rel_client.request(method, url, content=iter([big[:1000], big[1000:]]), headers=headers)
        for how, r in (("declared", declared), ("streamed", streamed)):
            assert r.status_code == 413, (how, method, path, r.status_code, r.text[:300])
            assert r.headers["content-type"].startswith(PROBLEM)
            assert r.json()["status"] == 413
    assert fingerprint(rel_url) == before


def test_keys_never_appear_in_the_server_log(server: Server, keys: Keys, restricted: dict[str, Any]) -> None:
    bad_key = "hm_deadbeef_" + uuid.uuid4().hex * 2
    made: list[str] = []
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for secret in [*keys.all_secrets(), bad_key]:
            for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Key": secret}):
                client.get("/api/v1/stations", headers=headers, params={"limit": 2})
                client.get(f"/api/v1/stations/{uuid.uuid4()}", headers=headers)
                client.get("/api/v1/stations", headers=headers, params={"limit": 0, "bogus": 1})
                client.post("/api/v1/stations", headers=headers, json={"name": 1})
                client.get("/share/v1/stations", headers=headers)
                client.get("/ogc/collections/stations/items", headers=headers)
        r = client.post(
            "/api/v1/organizations/RELA/keys", json={"role": "viewer"}, headers=keys.headers("admin")
        )
        made += re.findall(r"hm_[0-9a-f]+_[\w-]+", r.text)
        client.get("/api/v1/stations", headers={"Authorization": f"Basic {keys.admin}"})
    log = server.log()
    assert "GET /api/v1/stations" in log  # the log is really captured
    for secret in [*keys.all_secrets(), bad_key, *made]:
        assert secret not in log
        assert secret.split("_", 2)[2] not in log  # not even the secret part (it may hold "_" itself)


def test_every_response_carries_the_security_headers(
    rel_client: TestClient, keys: Keys, restricted: dict[str, Any]
) -> None:
    app: FastAPI = rel_client.app  # type: ignore[assignment]
    responses = [rel_client.get("/no/such/path"), rel_client.post("/health"), rel_client.get("/openapi.json")]
    for method, route in api_routes(app):
        url = fill(route.path, restricted["ids"] | {"collection_id": "stations"})
        for person in ("admin", "anonymous"):
            responses.append(rel_client.request(method, url, headers=keys.headers(person)))
    responses.append(rel_client.post("/api/v1/stations", content=b"x" * (BODY_LIMIT + 1)))
    assert {r.status_code for r in responses} >= {200, 401, 404, 405, 413}
    for r in responses:
        for name, value in HEADERS.items():
            assert r.headers.get(name) == value, (r.request.method, r.request.url, name, r.status_code)
        assert r.headers.get("content-security-policy", "").startswith("default-src 'self'"), r.request.url


def test_cors_is_closed_by_default(rel_client: TestClient, keys: Keys) -> None:
    assert Settings.model_fields["cors_origins"].default == []
    origin = {"Origin": "https://evil.example"}
    simple = rel_client.get("/api/v1/stations", headers=keys.headers("viewer") | origin)
    assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers
    preflight = rel_client.options(
        "/api/v1/stations",
        headers=origin
        | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-methods" not in preflight.headers
    assert preflight.status_code >= 400
