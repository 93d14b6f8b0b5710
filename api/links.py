"""OpenAPI links: which response gives the id another operation takes, so clients and stateful fuzzers
can chain calls (create a station, then read, change and close it with the ETag it was given).

Each producer names the responses that carry an id and the path prefixes of the operations that take
it; every operation under those prefixes whose path has the parameter becomes a link target (and gets
the ETag as If-Match when it declares that header).
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Producer:
    """A response carrying an identifier: `method path` answering `status`, the id at `pointer`."""

    operation: str
    status: str
    parameter: str
    pointer: str
    targets: tuple[str, ...]
    constants: dict[str, str] = field(default_factory=dict)


API = "/api/v1"
STATION = (f"{API}/stations/{{station_id}}", "/share/v1/stations/{station_id}")
ORGANIZATION = (f"{API}/organizations/{{organization_id}}", "/share/v1/agreements/{organization_id}")
EQUIPMENT = (f"{API}/equipment/{{equipment_id}}",)
KEY = (f"{API}/keys/{{key_id}}",)
NORM = (f"{API}/norms/{{norm_id}}",)
COVERAGE_NORM = (f"{API}/coverage-norms/{{norm_id}}",)
ZONE = (f"{API}/zones/{{zone_id}}",)
OGC_STATION = ("/ogc/collections/{collection_id}/items/{feature_id}",)

PRODUCERS = [
    Producer(f"POST {API}/stations", "201", "station_id", "/id", STATION),
    Producer(f"GET {API}/stations", "200", "station_id", "/items/0/id", STATION),
    Producer(f"GET {API}/stations/{{station_id}}", "200", "station_id", "/id", STATION),
    Producer(f"POST {API}/stations", "201", "feature_id", "/id", OGC_STATION, {"collection_id": "stations"}),
    Producer(f"POST {API}/organizations", "201", "organization_id", "/code", ORGANIZATION),
    Producer(f"GET {API}/organizations", "200", "organization_id", "/0/code", ORGANIZATION),
    Producer(
        "PUT /share/v1/agreements/{organization_id}", "200", "organization_id", "/organization", ORGANIZATION
    ),
    Producer(f"POST {API}/organizations/{{organization_id}}/keys", "201", "key_id", "/id", KEY),
    Producer(f"POST {API}/keys/{{key_id}}/rotate", "201", "key_id", "/id", KEY),
    Producer(f"POST {API}/stations/{{station_id}}/equipment", "201", "equipment_id", "/id", EQUIPMENT),
    Producer(f"GET {API}/stations/{{station_id}}/equipment", "200", "equipment_id", "/items/0/id", EQUIPMENT),
    Producer(f"GET {API}/equipment/{{equipment_id}}", "200", "equipment_id", "/id", EQUIPMENT),
    Producer(f"POST {API}/norms", "201", "norm_id", "/id", NORM),
    Producer(f"GET {API}/norms", "200", "norm_id", "/items/0/id", NORM),
    Producer(f"GET {API}/norms/{{norm_id}}", "200", "norm_id", "/id", NORM),
    Producer(f"POST {API}/coverage-norms", "201", "norm_id", "/id", COVERAGE_NORM),
    Producer(f"GET {API}/coverage-norms", "200", "norm_id", "/0/id", COVERAGE_NORM),
    Producer(f"GET {API}/coverage-norms/{{norm_id}}", "200", "norm_id", "/id", COVERAGE_NORM),
    Producer(f"POST {API}/zones", "201", "zone_id", "/id", ZONE),
    Producer(f"GET {API}/zones", "200", "zone_id", "/items/0/id", ZONE),
    Producer(f"GET {API}/zones/{{zone_id}}", "200", "zone_id", "/id", ZONE),
]


def _operations(paths: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        f"{method.upper()} {path}": (method, path, op)
        for path, item in paths.items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }


def _link(producer: Producer, target: dict[str, Any], etag: bool) -> dict[str, Any]:
    names = {p["name"]: p["in"] for p in target.get("parameters", [])}
    parameters: dict[str, Any] = {f"path.{producer.parameter}": f"$response.body#{producer.pointer}"}
    parameters |= {f"path.{name}": value for name, value in producer.constants.items()}
    if etag and "if-match" in names:
        parameters["header.if-match"] = "$response.header.ETag"
    return {"operationId": target["operationId"], "parameters": parameters}


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Add the links of PRODUCERS to an OpenAPI document (in place) and return it."""
    operations = _operations(document.get("paths", {}))
    for producer in PRODUCERS:
        source = operations.get(producer.operation)
        if source is None:
            continue
        response = source[2]["responses"].setdefault(producer.status, {"description": "Successful Response"})
        links = response.setdefault("links", {})
        etag = producer.pointer == "/id" and producer.parameter != "feature_id"
        for label, (_, path, op) in sorted(operations.items()):
            if label == producer.operation or f"{{{producer.parameter}}}" not in path:
                continue
            if not path.startswith(producer.targets) or "operationId" not in op:
                continue
            links[f"{producer.parameter}:{op['operationId']}"] = _link(producer, op, etag)
    return document
