"""POST /api/v1/imports/stations with real station lists: create, re-import, update, dry run, formats."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_org
from tests.factories_equipment import item_body, load_kinds
from tests.factories_imports import (
    FIXTURES,
    IMPORTS,
    count_like,
    grdc_rows,
    isd_rows,
    post_csv,
    post_geojson,
    to_csv,
    to_feature_collection,
)
from tests.factories_registry import PROBLEM, STATIONS, assert_problem
from tests.factories_sharing import make_partner

ISD_COUNT = 102
GRDC_COUNT = 27


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    make_org(db, "NCHMF")
    return make_key(db, "NCHMF", Role.admin)


def report(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def station(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    found = client.get(STATIONS, params={"q": code, "limit": 10}, headers=headers).json()["items"]
    return next(s for s in found if s["national_code"] == code)


def test_isd_list_is_created_and_importing_it_again_changes_nothing(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    body = to_csv(isd_rows())
    first = report(post_csv(client, admin, body))
    assert first == {"dry_run": False, "created": ISD_COUNT, "updated": 0, "unchanged": 0, "errors": []}
    assert count_like(db, "ISD-%") == ISD_COUNT
    again = report(post_csv(client, admin, body))
    assert again == {"dry_run": False, "created": 0, "updated": 0, "unchanged": ISD_COUNT, "errors": []}
    revisions = db.execute(
        text("SELECT count(*), min(op), max(r.revision) FROM station_revision r JOIN station s ON s.id = r.station_id "
             "WHERE s.national_code LIKE 'ISD-%'")
    ).one()  # fmt: skip
    assert tuple(revisions) == (ISD_COUNT, "import", 1)


def test_imported_station_reads_back_with_every_field_the_file_gave(
    client: TestClient, admin: dict[str, str]
) -> None:
    report(post_csv(client, admin, to_csv(isd_rows())))
    noi_bai = station(client, admin, "ISD-488200")
    assert noi_bai["name"] == "Noibai Intl"
    assert noi_bai["location"] == {"type": "Point", "coordinates": [105.807, 21.221]}
    assert noi_bai["wigos_ids"] == ["0-20000-0-48820"]
    assert sorted(noi_bai["station_types"]) == ["aeronautical", "synoptic"]
    assert (noi_bai["network"], noi_bai["owner"], noi_bai["operator"], noi_bai["data_policy"]) == (
        "national", "NCHMF", "NCHMF", "core",
    )  # fmt: skip
    assert noi_bai["province"] == "VN-70" and noi_bai["revision"] == 1  # geoBoundaries puts Nội Bài there
    assert noi_bai["variables"][0] == {"name": "air_temperature", "interval_min": 60}
    truong_sa = station(client, admin, "ISD-489200")
    assert truong_sa["province"] == "VN-34"  # the archipelago district, like the station service


def test_grdc_list_uploaded_as_a_multipart_file_is_created(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    files = {"file": ("grdc.csv", to_csv(grdc_rows()).encode(), "text/csv")}
    body = report(client.post(IMPORTS, files=files, headers=admin))
    assert (body["created"], body["errors"]) == (GRDC_COUNT, [])
    assert count_like(db, "GRDC-%") == GRDC_COUNT
    my_thuan = station(client, admin, "GRDC-2369005")
    assert (my_thuan["river"], my_thuan["station_types"], my_thuan["elevation_m"]) == (
        "Mekong River", ["hydrological"], None,
    )  # fmt: skip


def test_geojson_feature_collection_is_imported_and_matches_the_same_list_as_csv(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    collection = to_feature_collection(grdc_rows())
    assert report(post_geojson(client, admin, collection))["created"] == GRDC_COUNT
    as_csv = report(post_csv(client, admin, to_csv(grdc_rows())))
    assert (as_csv["created"], as_csv["updated"], as_csv["unchanged"]) == (0, 0, GRDC_COUNT)
    files = {"file": ("grdc.geojson", json.dumps(collection).encode())}  # no media type: by file name
    by_name = report(client.post(IMPORTS, files=files, headers=admin))
    assert by_name["unchanged"] == GRDC_COUNT


def test_dry_run_reports_exact_counts_and_writes_nothing(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    report(post_csv(client, admin, to_csv(grdc_rows()[:10])))
    rows = grdc_rows()
    rows[0] = rows[0] | {"name": "Mỹ Thuận (Tiền)"}
    dry = report(post_csv(client, admin, to_csv(rows), dry_run="true"))
    assert dry == {"dry_run": True, "created": GRDC_COUNT - 10, "updated": 1, "unchanged": 9, "errors": []}
    assert count_like(db, "GRDC-%") == 10
    assert station(client, admin, "GRDC-2369005")["revision"] == 1
    real = report(post_csv(client, admin, to_csv(rows)))
    assert {k: real[k] for k in ("created", "updated", "unchanged")} == {
        k: dry[k] for k in ("created", "updated", "unchanged")
    }


def test_a_changed_row_updates_only_its_station_with_a_revision_naming_the_change(
    client: TestClient, admin: dict[str, str]
) -> None:
    rows = isd_rows()
    report(post_csv(client, admin, to_csv(rows)))
    sa_pa = next(r for r in rows if r["national_code"] == "ISD-488020")
    sa_pa.update(name="Trạm khí tượng Sa Pa", elevation_m="1584.0", status="suspended")
    body = report(post_csv(client, admin, to_csv(rows)))
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, ISD_COUNT - 1)
    changed = station(client, admin, "ISD-488020")
    assert (changed["name"], changed["elevation_m"], changed["status"], changed["revision"]) == (
        "Trạm khí tượng Sa Pa", 1584.0, "suspended", 2,
    )  # fmt: skip
    history = client.get(f"{STATIONS}/{changed['id']}/history", headers=admin).json()["items"]
    assert [h["op"] for h in history] == ["import", "import"]
    assert history[1]["changes"] == {
        "name": ["Sa Pa", "Trạm khí tượng Sa Pa"],
        "elevation_m": [1581.0, 1584.0],
        "status": ["operational", "suspended"],
    }
    assert history[1]["reason"] == "imported from an uploaded csv file, line 2"
    assert client.get(STATIONS, params={"q": "tram khi tuong sa pa"}, headers=admin).json()["items"]


def test_columns_left_out_of_the_file_keep_their_values(client: TestClient, admin: dict[str, str]) -> None:
    report(post_csv(client, admin, to_csv(isd_rows())))
    short = ["national_code", "name", "network", "station_types", "automation", "latitude", "longitude"]
    rows = [
        r | {"automation": "semi_automatic"} if r["national_code"] == "ISD-488030" else r for r in isd_rows()
    ]
    body = report(post_csv(client, admin, to_csv(rows, short)))
    assert (body["updated"], body["unchanged"]) == (1, ISD_COUNT - 1)
    lao_cai = station(client, admin, "ISD-488030")
    assert (lao_cai["automation"], lao_cai["wigos_ids"], lao_cai["elevation_m"]) == (
        "semi_automatic", ["0-20000-0-48803"], 97.0,
    )  # fmt: skip


def test_a_row_found_by_its_wigos_id_renames_the_station(client: TestClient, admin: dict[str, str]) -> None:
    report(post_csv(client, admin, to_csv(isd_rows())))
    rows = [
        r | {"national_code": "VN-48820"} if r["national_code"] == "ISD-488200" else r for r in isd_rows()
    ]
    body = report(post_csv(client, admin, to_csv(rows)))
    assert (body["created"], body["updated"]) == (0, 1)
    renamed = station(client, admin, "VN-48820")
    assert renamed["wigos_ids"] == ["0-20000-0-48820"] and renamed["revision"] == 2


def test_wis2box_station_list_updates_stations_by_wsi_and_creates_the_new_ones(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    report(post_csv(client, admin, to_csv(isd_rows())))
    wis2box = (FIXTURES / "wis2box_station_list.csv").read_text().splitlines()
    body = report(post_csv(client, admin, "\n".join(wis2box[:-1]) + "\n"))  # without spaceBased VINASAT
    assert (body["created"], body["updated"], body["errors"]) == (1, 3, [])
    lang = station(client, admin, "ISD-488200")  # WSI 0-20000-0-48820: the code is kept, the name taken
    assert (lang["name"], lang["elevation_m"]) == ("LANG", 6.0)
    reservoir = station(client, admin, "HB01")  # new: code from the WSI's local id, wis2box defaults
    assert (reservoir["station_types"], reservoir["network"], reservoir["automation"], reservoir["owner"]) == (
        ["hydrological"], "national", "automatic", "NCHMF",
    )  # fmt: skip
    assert report(post_csv(client, admin, "\n".join(wis2box[:-1]) + "\n"))["unchanged"] == 4


def test_rows_with_errors_refuse_the_whole_file_with_a_422_listing_every_one(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    make_org(db, "EVN")
    raw = (FIXTURES / "ministry_messy_excel.csv").read_bytes()
    response = post_csv(client, admin, raw)
    body = assert_problem(response, 422, "import-rejected")
    assert body["dry_run"] is False and (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (4, "latitude"), (5, "latitude"), (6, "latitude"), (7, "network"), (8, "wigos_ids"),
        (9, "National_Code"), (9, "wigos_ids"), (13, "latitude"), (14, "row"), (15, "Name"),
        (17, "owner"), (17, "operator"), (18, "latitude"),
    ]  # fmt: skip
    assert body["errors"][0] == {
        "line": 4, "field": "latitude", "value": "105.85",
        "reason": "latitude and longitude appear swapped: (21.03, 105.85) would be in Viet Nam",
    }  # fmt: skip
    assert (
        body["errors"][-3]["reason"]
        == "unknown organization MARD: register it first (POST /api/v1/organizations)"
    )
    assert all(e["reason"] for e in body["errors"]) and "13 error(s) on 11 line(s)" in body["detail"]
    assert count_like(db, "HN-%") == 0
    dry = assert_problem(post_csv(client, admin, raw, dry_run="true"), 422, "import-rejected")
    assert dry["dry_run"] is True and dry["errors"] == body["errors"]


def test_openapi_documents_the_bodies_parameters_and_the_refusal(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][IMPORTS]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "text/csv", "application/geo+json", "application/json", "application/xml", "multipart/form-data",
    }  # fmt: skip
    assert {p["name"] for p in operation["parameters"]} == {"dry_run", "owner"}
    assert {"200", "401", "403", "413", "422"} <= set(operation["responses"])
    refused = operation["responses"]["422"]["content"]
    assert refused == {PROBLEM: {"schema": {"$ref": "#/components/schemas/ImportProblem"}}}


def test_partners_follow_imported_stations_in_the_change_feed(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    partner = make_partner(db, "PARTNER-IMP", {"station_types": ["hydrological"]})
    report(post_csv(client, admin, to_csv(grdc_rows())))
    rows = grdc_rows()
    rows[1]["data_policy"] = "restricted"  # Châu Đốc leaves every partner's scope
    report(post_csv(client, admin, to_csv(rows)))
    events = client.get("/share/v1/changes", params={"limit": 100}, headers=partner).json()["items"]
    assert [e["op"] for e in events] == ["upsert"] * GRDC_COUNT + ["drop"]
    chau_doc = station(client, admin, "GRDC-2369010")
    assert events[-1]["station_id"] == chau_doc["id"] and events[-1]["station"] is None
    assert {e["station"]["national_code"] for e in events[:-1]} == {r["national_code"] for r in rows}
    first = events[0]["station"]  # the state the import's revision keeps, as the partner view shows it
    shared = client.get(f"/share/v1/stations/{first['id']}", headers=partner).json()
    assert first == shared


def test_an_imported_change_keeps_the_equipment_in_the_past_state(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    load_kinds(db)
    report(post_csv(client, admin, to_csv(isd_rows())))
    sa_pa = station(client, admin, "ISD-488020")
    installed = client.post(
        f"{STATIONS}/{sa_pa['id']}/equipment", json=item_body(serial_number="SAPA-1"), headers=admin
    )
    assert installed.status_code == 201, installed.text
    automation = station(client, admin, "ISD-488020")["automation"]  # as the equipment made it
    change = {"name": "Trạm Sa Pa mới", "automation": automation}
    rows = [r | change if r["national_code"] == "ISD-488020" else r for r in isd_rows()]
    assert report(post_csv(client, admin, to_csv(rows)))["updated"] == 1
    renamed = station(client, admin, "ISD-488020")
    past = client.get(
        f"{STATIONS}/{sa_pa['id']}", params={"as_of": renamed["updated_at"]}, headers=admin
    ).json()
    assert past["name"] == "Trạm Sa Pa mới"
    assert [item["serial_number"] for item in past["equipment"]] == ["SAPA-1"]
    history = client.get(f"{STATIONS}/{sa_pa['id']}/history", headers=admin).json()["items"]
    assert history[-1]["op"] == "import" and "equipment" not in history[-1]["changes"]
