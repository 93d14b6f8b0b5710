"""GET /stations: every filter, keyset paging with next links, JSON / GeoJSON / CSV, bad parameters."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from domain.station.formats import CSV_COLUMNS
from tests.factories import make_key
from tests.factories_registry import STATIONS, assert_problem, keyed, register


@dataclass
class Network:
    """Five stations of one organization, each with something the filters tell apart."""

    org: str
    headers: dict[str, str]
    by_name: dict[str, dict[str, Any]]

    def code(self, name: str) -> str:
        return str(self.by_name[name]["national_code"])


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


STATIONS_SPEC: dict[str, dict[str, Any]] = {
    "lang": {
        "name": "Trạm khí tượng Láng", "network": "national", "station_types": ["synoptic"], "automation": "automatic",
        "location": _point(105.80, 21.02), "wigos_ids": ["0-704-1-LANG01"],
    },
    "donghoi": {
        "name": "Trạm đo mưa Đồng Hới", "network": "specialized", "station_types": ["rain_gauge"], "automation": "manual",
        "status": "planned", "location": _point(106.62, 17.47),
    },
    "hue": {
        "name": "Trạm thủy văn Kim Long", "network": "specialized", "station_types": ["hydrological"],
        "automation": "semi_automatic", "status": "suspended", "location": _point(107.59, 16.46), "river": "Hương",
    },
    "vungtau": {
        "name": "Trạm hải văn Vũng Tàu", "network": "national", "station_types": ["marine", "synoptic"],
        "automation": "automatic", "location": _point(107.08, 10.34), "data_policy": "recommended",
    },
    "danang": {
        "name": "Trạm đo mưa Sơn Trà", "network": "specialized", "station_types": ["rain_gauge"], "automation": "automatic",
        "location": _point(108.20, 16.05),
    },
}  # fmt: skip


@pytest.fixture
def net(client: TestClient, db: Session) -> Network:
    org, headers = keyed(db, Role.editor)
    by_name = {name: register(client, headers, **spec) for name, spec in STATIONS_SPEC.items()}
    return Network(org, headers, by_name)


def _names(client: TestClient, net: Network, **params: Any) -> set[str]:
    response = client.get(STATIONS, params={"owner": net.org, **params}, headers=net.headers)
    assert response.status_code == 200, response.text
    codes = {s["national_code"] for s in response.json()["items"]}
    return {name for name, s in net.by_name.items() if s["national_code"] in codes}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"lang", "donghoi", "hue", "vungtau", "danang"}),
        ({"bbox": "105,20.5,106.5,21.5"}, {"lang"}),
        ({"bbox": "106,15.5,109,17.6"}, {"donghoi", "hue", "danang"}),
        ({"bbox": "110,5,117,12"}, set()),
        ({"near": "108.2,16.05", "radius_km": "50"}, {"danang"}),
        ({"near": "108.2,16.05", "radius_km": "100"}, {"danang", "hue"}),
        ({"network": "national"}, {"lang", "vungtau"}),
        ({"network": "national,specialized"}, {"lang", "donghoi", "hue", "vungtau", "danang"}),
        ({"type": "hydrological"}, {"hue"}),
        ({"type": "marine,rain_gauge"}, {"vungtau", "donghoi", "danang"}),
        ({"type": ["marine", "hydrological"]}, {"vungtau", "hue"}),
        ({"automation": "manual"}, {"donghoi"}),
        ({"automation": "semi_automatic,automatic"}, {"hue", "lang", "vungtau", "danang"}),
        ({"status": "planned"}, {"donghoi"}),
        ({"status": "suspended,planned"}, {"donghoi", "hue"}),
        ({"status": "closed"}, set()),
        ({"data_policy": "recommended"}, {"vungtau"}),
        ({"province": "VN-HN"}, {"lang"}),
        ({"province": "VN-24"}, {"donghoi"}),
        ({"province": "VN-HN,VN-43"}, {"lang", "vungtau"}),
        ({"wigos_id": "0-704-1-LANG01"}, {"lang"}),
        ({"wigos_id": "0-704-1-NOBODY"}, set()),
        ({"q": "dong hoi"}, {"donghoi"}),
        ({"q": "ĐỒNG HỚI"}, {"donghoi"}),
        ({"q": "DoNg HoI"}, {"donghoi"}),
        ({"q": "láng"}, {"lang"}),
        ({"q": "tram do mua"}, {"donghoi", "danang"}),
        ({"q": "%"}, set()),
        ({"q": "_"}, set()),
        ({"network": "specialized", "automation": "automatic", "bbox": "106,15.5,109,17.6"}, {"danang"}),
    ],
)
def test_list_filters_select_exactly_the_matching_stations(
    client: TestClient, net: Network, params: dict[str, Any], expected: set[str]
) -> None:
    assert _names(client, net, **params) == expected


def test_q_finds_a_station_by_its_national_code(client: TestClient, net: Network) -> None:
    code = net.code("hue")
    assert _names(client, net, q=code.lower()) == {"hue"}


def test_owner_filter_takes_one_or_several_organizations(
    client: TestClient, db: Session, net: Network
) -> None:
    other_org, other = keyed(db, Role.editor)
    mine = register(client, other)
    response = client.get(STATIONS, params={"owner": f"{net.org},{other_org}", "limit": 100}, headers=other)
    codes = {s["national_code"] for s in response.json()["items"]}
    assert codes == {s["national_code"] for s in net.by_name.values()} | {mine["national_code"]}
    only = client.get(STATIONS, params={"owner": other_org}, headers=other).json()["items"]
    assert [s["national_code"] for s in only] == [mine["national_code"]]


def test_updated_since_returns_stations_changed_at_or_after_the_time(
    client: TestClient, net: Network
) -> None:
    since = datetime.now(UTC)
    hue = net.by_name["hue"]
    changed = client.patch(
        f"{STATIONS}/{hue['id']}", json={"name": "Trạm Kim Long"}, headers=net.headers | {"If-Match": '"r1"'}
    )
    assert changed.status_code == 200, changed.text
    assert _names(client, net, updated_since=since.isoformat()) == {"hue"}
    assert _names(client, net, updated_since="2000-01-01T00:00:00Z") == set(net.by_name)


def test_following_next_links_visits_every_station_exactly_once(client: TestClient, net: Network) -> None:
    url: str | None = f"{STATIONS}?owner={net.org}&limit=2"
    seen: list[str] = []
    pages = 0
    while url:
        response = client.get(url, headers=net.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [s["national_code"] for s in page["items"]]
        url = page["next"]
        assert url is None or f"owner={net.org}" in url
        pages += 1
    assert pages == 3
    assert seen == sorted(s["national_code"] for s in net.by_name.values())


def test_paging_the_whole_registry_never_repeats_or_skips_a_station(
    client: TestClient, db: Session, net: Network
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    everything = client.get(STATIONS, params={"limit": 1000}, headers=admin).json()
    assert everything["next"] is None
    url: str | None = f"{STATIONS}?limit=3"
    seen: list[str] = []
    while url:
        page = client.get(url, headers=admin).json()
        seen += [s["national_code"] for s in page["items"]]
        url = page["next"]
    assert seen == [s["national_code"] for s in everything["items"]]
    assert len(seen) == len(set(seen))
    assert {s["national_code"] for s in net.by_name.values()} <= set(seen)


def test_geojson_pages_carry_a_next_link(client: TestClient, net: Network) -> None:
    response = client.get(
        STATIONS, params={"owner": net.org, "limit": 4, "f": "geojson"}, headers=net.headers
    )
    first = response.json()
    assert first["numberReturned"] == 4
    [link] = [link for link in first["links"] if link["rel"] == "next"]
    second = client.get(link["href"], headers=net.headers).json()
    assert second["numberReturned"] == 1
    assert not [link for link in second["links"] if link["rel"] == "next"]


def test_json_output_lists_items_shaped_like_a_single_station(client: TestClient, net: Network) -> None:
    response = client.get(
        STATIONS, params={"owner": net.org, "wigos_id": "0-704-1-LANG01"}, headers=net.headers
    )
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"items", "next"} and body["next"] is None
    [item] = body["items"]
    single = client.get(f"{STATIONS}/{item['id']}", headers=net.headers).json()
    assert item == single
    assert item["location"] == {"type": "Point", "coordinates": [105.8, 21.02]}
    assert item["province"] == "VN-HN"


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"f": "geojson"}, {}), ({}, {"Accept": "application/geo+json"})],
    ids=["f=geojson", "Accept"],
)
def test_geojson_output_is_a_feature_collection(
    client: TestClient, net: Network, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.get(STATIONS, params={"owner": net.org, **params}, headers=net.headers | headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == 5 and body["links"] == []
    features = {f["properties"]["national_code"]: f for f in body["features"]}
    lang = features[net.code("lang")]
    assert lang["type"] == "Feature" and lang["id"] == net.by_name["lang"]["id"]
    assert lang["geometry"] == {"type": "Point", "coordinates": [105.8, 21.02]}
    assert lang["properties"]["name"] == "Trạm khí tượng Láng"
    assert lang["properties"]["wigos_ids"] == ["0-704-1-LANG01"]
    assert "location" not in lang["properties"]


@pytest.mark.parametrize(
    ("params", "headers"), [({"f": "csv"}, {}), ({}, {"Accept": "text/csv"})], ids=["f=csv", "Accept"]
)
def test_csv_output_has_the_import_columns_and_one_row_per_station(
    client: TestClient, net: Network, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.get(STATIONS, params={"owner": net.org, **params}, headers=net.headers | headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == CSV_COLUMNS
    records = {r["national_code"]: r for r in (dict(zip(rows[0], row, strict=True)) for row in rows[1:])}
    assert set(records) == {s["national_code"] for s in net.by_name.values()}
    vungtau = records[net.code("vungtau")]
    assert (vungtau["name"], vungtau["longitude"], vungtau["latitude"]) == (
        "Trạm hải văn Vũng Tàu",
        "107.08",
        "10.34",
    )
    assert vungtau["station_types"] == "marine;synoptic"
    assert vungtau["province"] == "VN-43"
    assert records[net.code("lang")]["wigos_ids"] == "0-704-1-LANG01"
    assert records[net.code("hue")]["river"] == "Hương"
    assert records[net.code("lang")]["variables"] == "precipitation:10"


def test_csv_pages_give_the_next_page_in_a_link_header(client: TestClient, net: Network) -> None:
    response = client.get(STATIONS, params={"owner": net.org, "f": "csv", "limit": 2}, headers=net.headers)
    assert 'rel="next"' in response.headers["link"]
    assert len(list(csv.reader(io.StringIO(response.text)))) == 3


def test_one_station_as_a_geojson_feature(client: TestClient, net: Network) -> None:
    station = net.by_name["danang"]
    response = client.get(f"{STATIONS}/{station['id']}", params={"f": "geojson"}, headers=net.headers)
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["etag"] == '"r1"'
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["coordinates"] == [108.2, 16.05]
    assert feature["properties"]["province"] == "VN-DN"


@pytest.mark.parametrize(
    ("params", "name", "mention"),
    [
        ({"limit": "1001"}, "limit", "1000"),
        ({"limit": "0"}, "limit", "limit"),
        ({"bbox": "105,20,106"}, "bbox", "bbox"),
        ({"bbox": "west,south,east,north"}, "bbox", "bbox"),
        ({"bbox": "106,20,105,21"}, "bbox", "bbox"),
        ({"near": "108.2,16.05"}, "radius_km", "radius_km"),
        ({"near": "108.2", "radius_km": "10"}, "near", "near"),
        ({"near": "108.2,16.05", "radius_km": "5000"}, "radius_km", "radius_km"),
        ({"network": "regional"}, "network", "regional"),
        ({"type": "rain_gauge,telepathy"}, "type", "telepathy"),
        ({"automation": "robotic"}, "automation", "robotic"),
        ({"status": "dormant"}, "status", "dormant"),
        ({"data_policy": "secret"}, "data_policy", "secret"),
        ({"netwrok": "national"}, "netwrok", "netwrok"),
        ({"page": "2"}, "page", "page"),
        ({"cursor": "not-a-cursor!"}, "cursor", "cursor"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client: TestClient, db: Session, params: dict[str, str], name: str, mention: str
) -> None:
    _, viewer = keyed(db, Role.viewer)
    body = assert_problem(client.get(STATIONS, params=params, headers=viewer), 400, "invalid-query", mention)
    assert body["parameter"] == name


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": "many"}, "#/limit"),
        ({"radius_km": "far", "near": "108,16"}, "#/radius_km"),
        ({"updated_since": "yesterday"}, "#/updated_since"),
        ({"f": "xml"}, "#/f"),
        ({"q": "x" * 201}, "#/q"),
    ],
)
def test_a_mistyped_query_parameter_is_a_400_pointing_at_it(
    client: TestClient, db: Session, params: dict[str, str], pointer: str
) -> None:
    _, viewer = keyed(db, Role.viewer)
    assert_problem(client.get(STATIONS, params=params, headers=viewer), 400, "invalid-query", pointer)


def test_the_declared_maximum_limit_is_accepted(client: TestClient, db: Session) -> None:
    _, viewer = keyed(db, Role.viewer)
    assert client.get(STATIONS, params={"limit": 1000}, headers=viewer).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/stations", "/api/v1/zones/{zone_id}/stations"])
def test_every_station_filter_is_documented_in_openapi(client: TestClient, path: str) -> None:
    operation = client.get("/openapi.json").json()["paths"][path]["get"]
    documented = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    filters = {"bbox", "near", "radius_km", "zone", "zone_category", "network", "type", "automation"}
    filters |= {"status", "data_policy", "owner", "province", "wigos_id", "q", "updated_since"}
    filters |= {"cursor", "limit", "f"}
    assert filters <= set(documented)
    assert documented["network"]["schema"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert {"type": "number"} in documented["radius_km"]["schema"]["anyOf"]
    assert "diacritics" in documented["q"]["description"]


def test_paged_routes_document_cursor_and_limit(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    history = {p["name"] for p in paths["/api/v1/stations/{station_id}/history"]["get"]["parameters"]}
    assert {"cursor", "limit", "station_id"} <= history
    one = {p["name"] for p in paths["/api/v1/stations/{station_id}"]["get"]["parameters"]}
    assert {"f", "as_of", "station_id"} <= one and "cursor" not in one


def test_a_page_is_gzipped_only_for_clients_that_accept_it(client: TestClient, net: Network) -> None:
    params = {"owner": net.org, "f": "geojson"}
    plain = client.get(STATIONS, params=params, headers=net.headers | {"Accept-Encoding": "identity"})
    zipped = client.get(STATIONS, params=params, headers=net.headers | {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.json() == plain.json()
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
