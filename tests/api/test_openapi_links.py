"""The OpenAPI document links every response carrying an id to the operations that take it."""

from typing import Any

from fastapi.testclient import TestClient

IDS = {"station_id", "organization_id", "equipment_id", "key_id", "norm_id", "zone_id", "feature_id"}


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op | {"label": f"{m.upper()} {p}"} for p, item in document["paths"].items()
            for m, op in item.items()}  # fmt: skip


def test_every_operation_taking_an_id_is_the_target_of_a_link(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operations = _operations(document)
    linked: dict[str, list[dict[str, Any]]] = {}
    for op in operations.values():
        for response in op["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in operations, link
                linked.setdefault(operations[link["operationId"]]["label"], []).append(link)
    taking_ids = {
        op["label"] for op in operations.values()
        if any(p["in"] == "path" and p["name"] in IDS for p in op.get("parameters", []))
    }  # fmt: skip
    assert len(taking_ids) > 25
    assert taking_ids <= set(linked), sorted(taking_ids - set(linked))
    for label in taking_ids:
        path_ids = {
            p["name"] for p in operations_by_label(operations, label)["parameters"] if p["in"] == "path"
        }
        for link in linked[label]:
            given = {k.split(".", 1)[1] for k in link["parameters"] if k.startswith("path.")}
            assert path_ids <= given, (label, link)


def operations_by_label(operations: dict[str, dict[str, Any]], label: str) -> dict[str, Any]:
    return next(op for op in operations.values() if op["label"] == label)


def test_a_created_station_links_to_its_change_with_the_etag_as_if_match(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    links = document["paths"]["/api/v1/stations"]["post"]["responses"]["201"]["links"]
    patch = next(link for link in links.values() if link["operationId"].startswith("update_station"))
    assert patch["parameters"] == {
        "path.station_id": "$response.body#/id",
        "header.if-match": "$response.header.ETag",
    }
    rotate = document["paths"]["/api/v1/organizations/{organization_id}/keys"]["post"]["responses"]["201"][
        "links"
    ]
    assert any(link["operationId"].startswith("rotate_key") for link in rotate.values())
