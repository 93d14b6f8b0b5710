"""The map's base layers: provinces from the province table, coastline and seas from the seed data."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape

from seed.derive import map_layers
from seed.provinces import province_features

WEB_DATA = Path(__file__).resolve().parents[2] / "api" / "web" / "data"


def test_provinces_layer_has_the_63_provinces_with_code_and_name(client: TestClient) -> None:
    response = client.get("/map/data/provinces.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 63
    by_code = {f["properties"]["code"]: f for f in body["features"]}
    assert by_code["VN-HN"]["properties"]["name"] == "Hà Nội"
    assert {f["geometry"]["type"] for f in body["features"]} <= {"Polygon", "MultiPolygon"}


def test_provinces_layer_is_simplified_but_keeps_each_province_close_to_its_outline(
    client: TestClient,
) -> None:
    served = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in client.get("/map/data/provinces.geojson").json()["features"]
    }
    original = {f["properties"]["code"]: shape(f["geometry"]) for f in province_features()}
    served_points = sum(len(json.dumps(g.__geo_interface__)) for g in served.values())
    original_points = sum(len(json.dumps(g.__geo_interface__)) for g in original.values())
    assert served_points < original_points / 3
    for code, geom in original.items():
        if geom.area > 0.05:  # small island provinces may lose their specks of islands entirely
            assert served[code].area == pytest.approx(geom.area, rel=0.03), code
            assert served[code].hausdorff_distance(geom) < 0.02, code  # 0.005 deg tolerance, 4 decimals


def test_provinces_layer_answers_304_while_its_etag_matches(client: TestClient) -> None:
    first = client.get("/map/data/provinces.geojson")
    assert first.headers["cache-control"] == "public, max-age=3600"
    again = client.get("/map/data/provinces.geojson", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]


def test_coastline_layer_has_the_coast_and_the_land_border(client: TestClient) -> None:
    response = client.get("/map/data/coastline.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["cache-control"] == "public, max-age=86400"
    kinds = {f["properties"]["kind"]: f["geometry"]["type"] for f in response.json()["features"]}
    assert kinds == {"coastline": "MultiLineString", "land_border": "LineString"}


def test_seas_layer_names_the_seas_in_vietnamese_and_english_and_labels_the_archipelagos(
    client: TestClient,
) -> None:
    features = client.get("/map/data/seas.geojson").json()["features"]
    names = {f["properties"]["name_vi"]: f["properties"]["name_en"] for f in features}
    assert names["Biển Đông"] == "East Sea"
    assert names["Vịnh Bắc Bộ"] == "Gulf of Tonkin"
    labels = [f for f in features if f["properties"]["kind"] == "archipelago"]
    assert {f["properties"]["name_vi"] for f in labels} == {"Quần đảo Hoàng Sa", "Quần đảo Trường Sa"}
    for f in features:
        if f["geometry"]["type"] != "Point":
            minx, miny, maxx, maxy = shape(f["geometry"]).bounds
            assert 99 <= minx and maxx <= 121 and 3 <= miny and maxy <= 24


def test_shipped_base_layers_are_what_the_derivation_builds() -> None:
    for name, build in (("coastline", map_layers.coastline), ("seas", map_layers.seas)):
        shipped = json.loads((WEB_DATA / f"{name}.geojson").read_text(encoding="utf-8"))
        assert shipped == json.loads(json.dumps(build())), f"re-run python -m seed.derive.map_layers ({name})"


def test_an_unknown_base_layer_is_refused_naming_the_layer(client: TestClient) -> None:
    response = client.get("/map/data/rivers.geojson")
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == "#/layer"


def test_base_layers_refuse_an_unknown_query_parameter_naming_it(client: TestClient) -> None:
    for path in ("/map/data/provinces.geojson", "/map/data/seas.geojson"):
        response = client.get(path, params={"simplify": "0"})
        assert response.status_code == 400, path
        assert response.json()["parameter"] == "simplify"
