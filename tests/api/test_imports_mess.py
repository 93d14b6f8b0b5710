"""Real-world mess in station imports: handled (BOM, CRLF, diacritics, DMS) or clearly refused, row by row."""

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.deps import get_primary_session, get_read_session, get_session
from api.main import create_app
from domain.access.models import Role
from domain.settings import Settings
from tests.factories import make_key, make_org
from tests.factories_imports import (
    FIXTURES,
    IMPORTS,
    count_like,
    grdc_rows,
    isd_rows,
    post_csv,
    post_geojson,
    to_csv,
)
from tests.factories_registry import STATIONS, assert_problem


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    make_org(db, "NCHMF")
    return make_key(db, "NCHMF", Role.admin)


def refused(response: Any, code: str = "import-rejected") -> dict[str, Any]:
    body = assert_problem(response, 422, code)
    assert isinstance(body["errors"], list) and body["errors"]
    return body


def errors_of(body: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["line"], e["field"], e["value"]) for e in body["errors"]]


def dms(value: str, positive: str, negative: str) -> str:
    number = float(value)
    seconds = round(abs(number) * 3600)
    return f"{seconds // 3600}°{seconds % 3600 // 60:02d}'{seconds % 60:02d}\"{positive if number >= 0 else negative}"


def test_utf8_bom_windows_line_ends_and_decomposed_diacritics_are_read(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    names = ["Trạm khí tượng Sa Pa", "Trạm khí tượng Lào Cai", "Trạm khí tượng Đồng Hới"]
    rows = [r for r in isd_rows() if r["national_code"] in ("ISD-488020", "ISD-488030", "ISD-488480")]
    for row, name in zip(rows, names, strict=True):
        row["name"] = unicodedata.normalize("NFD", name)
    raw = b"\xef\xbb\xbf" + to_csv(rows, crlf=True).encode()
    assert raw.count(b"\r\n") == 4
    body = post_csv(client, admin, raw).json()
    assert (body["created"], body["errors"]) == (3, [])
    found = client.get(STATIONS, params={"q": "dong hoi"}, headers=admin).json()["items"]
    assert [s["name"] for s in found] == ["Trạm khí tượng Đồng Hới"]
    assert found[0]["name"] == unicodedata.normalize("NFC", found[0]["name"])


def test_degrees_minutes_seconds_coordinates_are_converted(client: TestClient, admin: dict[str, str]) -> None:
    rows = isd_rows()[:20]
    for row in rows:
        row["latitude"], row["longitude"] = dms(row["latitude"], "N", "S"), dms(row["longitude"], "E", "W")
    assert rows[0]["latitude"] == "22°21'00\"N" and rows[0]["longitude"] == "103°49'01\"E"
    assert post_csv(client, admin, to_csv(rows)).json()["created"] == 20
    sa_pa = client.get(STATIONS, params={"q": "ISD-488020"}, headers=admin).json()["items"][0]
    assert sa_pa["location"]["coordinates"] == pytest.approx([103 + 49 / 60 + 1 / 3600, 22.35], abs=1e-6)


def test_excel_with_vietnamese_settings_semicolons_and_decimal_commas_is_read(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = post_csv(client, admin, (FIXTURES / "excel_vi_semicolon.csv").read_bytes()).json()
    assert (body["created"], body["errors"]) == (2, [])
    dong_hoi = client.get(STATIONS, params={"q": "QB-RG-014"}, headers=admin).json()["items"][0]
    assert (dong_hoi["network"], dong_hoi["station_types"], dong_hoi["automation"]) == (
        "specialized", ["rain_gauge"], "automatic",
    )  # fmt: skip
    assert dong_hoi["location"]["coordinates"] == [106.62, 17.47]


def test_swapped_latitude_and_longitude_are_refused_saying_the_swap_would_be_in_viet_nam(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    rows = isd_rows()[:5]
    rows[1]["latitude"], rows[1]["longitude"] = rows[1]["longitude"], rows[1]["latitude"]
    rows[3]["latitude"], rows[3]["longitude"] = rows[3]["longitude"], rows[3]["latitude"]
    body = refused(post_csv(client, admin, to_csv(rows)))
    assert errors_of(body) == [(3, "latitude", rows[1]["latitude"]), (5, "latitude", rows[3]["latitude"])]
    assert body["errors"][0]["reason"] == (
        "latitude and longitude appear swapped: (22.5, 103.967) would be in Viet Nam"
    )
    assert rows[1]["national_code"] == "ISD-488030"
    assert (body["created"], count_like(db, "ISD-%")) == (3, 0)


def test_placeholder_coordinates_90_180_and_0_0_are_refused(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    raw = (FIXTURES / "grdc_vietnam_gauges.csv").read_text().replace("10.333,105.445", "0,0")
    body = refused(post_csv(client, admin, raw))
    assert errors_of(body) == [(4, "latitude", "0"), (5, "latitude", "90"), (8, "latitude", "90")]
    assert [e["reason"] for e in body["errors"]] == [
        "placeholder coordinates (0, 0): give the station's real position",
        "placeholder coordinates (90, 180): give the station's real position",
        "placeholder coordinates (90, 180): give the station's real position",
    ]
    assert (body["created"], count_like(db, "GRDC-%")) == (5, 0)


def test_a_code_twice_in_the_file_is_refused_naming_the_first_line(
    client: TestClient, admin: dict[str, str]
) -> None:
    rows = grdc_rows()[:6]
    rows[4]["national_code"] = rows[1]["national_code"]
    body = refused(post_csv(client, admin, to_csv(rows)))
    assert body["errors"] == [
        {"line": 6, "field": "national_code", "value": "GRDC-2369010",
         "reason": "national_code GRDC-2369010 is already used on line 3"},
    ]  # fmt: skip


def test_missing_required_columns_give_one_error_naming_them(
    client: TestClient, admin: dict[str, str]
) -> None:
    columns = ["national_code", "name", "station_types", "latitude"]
    body = refused(post_csv(client, admin, to_csv(grdc_rows(), columns)))
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert (error["line"], error["field"]) == (1, "network, automation, longitude")
    assert error["reason"].startswith("missing required columns: network, automation, longitude")


def test_an_unknown_column_is_reported_and_nothing_is_written(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    rows = [r | {"province": "Cần Thơ"} for r in grdc_rows()]
    body = refused(post_csv(client, admin, to_csv(rows)))
    assert body["errors"] == [{"line": 1, "field": "province", "value": "", "reason": "unknown column"}]
    assert (body["created"], count_like(db, "GRDC-%")) == (27, 0)


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = refused(
        post_csv(client, admin, (FIXTURES / "windows1258_export.csv").read_bytes()), "upload-not-utf8"
    )
    assert body["errors"][0]["line"] == 2 and "UTF-8" in body["errors"][0]["reason"]
    assert "save it as 'CSV UTF-8" in body["detail"]


@pytest.mark.parametrize(
    ("data", "media_type", "mentions"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "application/octet-stream", "spreadsheet workbook"),
        (b'{"type": "FeatureCollection", "features": [', "application/geo+json", "not valid JSON"),
        (b'{"type": "Point", "coordinates": [105.8, 21.0]}', "application/json", "FeatureCollection"),
        (b"", "text/csv", "the file is empty"),
    ],
)
def test_files_that_are_not_station_lists_are_refused(
    client: TestClient, admin: dict[str, str], data: bytes, media_type: str, mentions: str
) -> None:
    response = client.post(IMPORTS, content=data, headers=admin | {"Content-Type": media_type})
    body = refused(response, "import-file-unreadable")
    assert mentions in body["detail"] and mentions in body["errors"][0]["reason"]


def test_geojson_errors_point_at_the_feature_index(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    make_org(db, "MOT")
    collection = json.loads((FIXTURES / "stations.geojson").read_text())
    body = refused(post_geojson(client, admin, collection))
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (1, "geometry.coordinates[1]"), (2, "geometry"), (3, "province"), (3, "automation"), (4, "national_code"),
    ]  # fmt: skip
    assert (
        "appear swapped" in body["errors"][0]["reason"] and body["errors"][2]["reason"] == "unknown property"
    )
    assert body["errors"][4]["reason"] == "national_code QB-RG-014 is already used on feature 0"
    assert body["created"] == 2


def test_a_wis2box_facility_type_with_no_station_type_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = refused(post_csv(client, admin, (FIXTURES / "wis2box_station_list.csv").read_bytes()))
    assert errors_of(body) == [(6, "facility_type", "spaceBased")]


def test_multipart_without_a_file_field_is_refused_naming_the_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(IMPORTS, files={"upload": ("a.csv", b"x", "text/csv")}, headers=admin)
    assert_problem(response, 422, "rule-violation", "#/file")


@pytest.fixture
def small_client(settings: Settings, db: Session) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": 1024, "max_import_bytes": 8192}))
    app.dependency_overrides[get_session] = lambda: db
    app.dependency_overrides[get_read_session] = lambda: db
    app.dependency_overrides[get_primary_session] = lambda: db
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_file_over_the_import_limit_is_a_413_and_imports_have_their_own_limit(
    small_client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    big = to_csv(isd_rows())
    response = post_csv(small_client, admin, big)
    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the body exceeds the limit of 8192 bytes"
    medium = to_csv(isd_rows()[:20])
    assert 1024 < len(medium.encode()) < 8192
    assert post_csv(small_client, admin, medium).json()["created"] == 20
    assert small_client.post(STATIONS, content=medium.encode(), headers=admin).status_code == 413
    assert count_like(db, "ISD-%") == 20
