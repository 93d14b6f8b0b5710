"""WIGOS completeness through the API: one station, the summary, and the station list filter."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_station

COMPLETE = {
    "wigos_ids": ["0-704-1-1"], "elevation_m": 12.0, "established_date": "1960-01-01",
    "programmes": ["GOSGeneral"], "data_policy": "core",
    "variables": [{"name": "precipitation", "interval_min": 60}, {"name": "air_temperature", "interval_min": 60}],
}  # fmt: skip


def test_complete_station_scores_100_and_is_oscar_ready(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    station = make_station(db, owner="MOC", **COMPLETE)
    body = client.get(f"/api/v1/stations/{station.id}/completeness", headers=admin).json()
    assert body["score"] == 100 and body["oscar_ready"] is True and body["missing"] == []


def test_missing_elements_are_named_with_their_numbers_and_hints(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    station = make_station(
        db,
        owner="MOC",
        wigos_ids=[],
        elevation_m=None,
        variables=[{"name": "precipitation"}, {"name": "mystery"}],
    )
    body = client.get(f"/api/v1/stations/{station.id}/completeness", headers=admin).json()
    missing = {m["element"]: m for m in body["missing"]}
    assert set(missing) == {"wigos_id", "elevation", "established", "programme", "schedule"}
    assert missing["wigos_id"]["number"] == "3-06" and "wigos-ids" in missing["wigos_id"]["hint"]
    assert missing["programme"]["number"] == "2-02" and missing["schedule"]["number"] == "6-08, 7-03"
    assert body["score"] == (15 - 5) * 100 // 15 and body["oscar_ready"] is False


def test_unknown_variables_alone_do_not_count_as_observed(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    station = make_station(
        db, owner="MOC", **(COMPLETE | {"variables": [{"name": "mystery", "interval_min": 5}]})
    )
    body = client.get(f"/api/v1/stations/{station.id}/completeness", headers=admin).json()
    assert [m["number"] for m in body["missing"]] == ["1-01"]


def test_restricted_station_is_not_measured_for_others(client: TestClient, db: Session) -> None:
    other = make_key(db, "EVN", Role.viewer)
    hidden = make_station(db, owner="MOD", data_policy="restricted")
    response = client.get(f"/api/v1/stations/{hidden.id}/completeness", headers=other)
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    summary = client.get("/api/v1/completeness", headers=other).json()
    assert str(hidden.id) not in str(summary) and summary["stations"] == 0


def test_summary_gives_distribution_and_blocking_stations(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    complete = make_station(db, owner="MOC", **COMPLETE)
    partial = make_station(db, owner="MOC")
    make_station(db, owner="EVN")
    body = client.get("/api/v1/completeness?owner=MOC", headers=admin).json()
    assert body["stations"] == 2 and body["blocking"] == 1 and body["oscar_ready"] == 1
    assert sum(b["stations"] for b in body["distribution"]) == 2
    assert next(b for b in body["distribution"] if b["from"] == 100)["stations"] == 1
    assert [s["id"] for s in body["blocking_stations"]] == [str(partial.id)]
    assert str(complete.id) not in str(body["blocking_stations"])
    by_element = {e["element"]: e["stations"] for e in body["missing_by_element"]}
    assert by_element["programme"] == 1 and by_element["name"] == 0


def test_summary_filters_by_network_and_province(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    make_station(db, owner="MOC", network="national")
    make_station(db, owner="MOC", network="specialized")
    national = client.get("/api/v1/completeness?network=national&owner=MOC", headers=admin).json()
    assert national["stations"] == 1
    nowhere = client.get("/api/v1/completeness?province=VN-XX&owner=MOC", headers=admin).json()
    assert nowhere["stations"] == 0


def test_station_list_filters_by_completeness_below(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    complete = make_station(db, owner="MOC", **COMPLETE)
    partial = make_station(db, owner="MOC")
    below = client.get("/api/v1/stations?owner=MOC&completeness_below=100", headers=admin).json()["items"]
    assert [s["id"] for s in below] == [str(partial.id)]
    everything = client.get(
        "/api/v1/stations?owner=MOC&completeness_below=100&f=geojson", headers=admin
    ).json()
    assert str(complete.id) not in str(everything)
    bad = client.get("/api/v1/stations?completeness_below=500", headers=admin)
    assert bad.status_code in (400, 422) and bad.headers["content-type"] == "application/problem+json"


def test_new_fields_are_returned_and_derived(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    station = make_station(db, owner="MOC", **COMPLETE)
    body = client.get(f"/api/v1/stations/{station.id}", headers=admin).json()
    assert body["wmo_region"] == "asia" and body["territory"] == "VNM"
    assert body["established_date"] == "1960-01-01" and body["programmes"] == ["GOSGeneral"]
    bad = client.post(
        "/api/v1/stations",
        json={"national_code": "X-1", "name": "x", "network": "national", "station_types": ["synoptic"],
              "automation": "manual", "location": {"type": "Point", "coordinates": [105.8, 21.0]},
              "owner": "MOC", "programmes": ["GOS General"]},
        headers=admin,
    )  # fmt: skip
    assert bad.status_code == 422 and "programmes" in bad.text
