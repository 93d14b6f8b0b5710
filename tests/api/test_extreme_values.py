"""Numeric ranges: out-of-range input is refused where it is, and no stored value, however odd, breaks a read."""

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_org, station_body
from tests.factories_equipment import TEST_AUTO, item_body, load_kinds
from tests.factories_registry import STATIONS, assert_problem, register
from tests.factories_sharing import make_partner
from tests.factories_zones import zone_feature

API = "/api/v1"
HOANG_SA = [111.6, 16.5]  # an island of the Hoàng Sa archipelago


@dataclass
class World:
    admin: dict[str, str]
    partner: dict[str, str]
    station_id: str
    equipment_id: str
    zone: str


def created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def extremes(client: TestClient, db: Session) -> World:
    """Every writable resource at the edges of its legal ranges, written through the API."""
    load_kinds(db)
    make_org(db, "NCHMF")
    admin = make_key(db, "NCHMF", Role.admin)
    low = register(
        client, admin, owner="NCHMF", elevation_m=-500.0, station_types=["rain_gauge"],
        variables=[{"name": "precipitation", "interval_min": 525_600}],
    )  # fmt: skip
    register(
        client, admin, owner="NCHMF", elevation_m=9000.0, location={"type": "Point", "coordinates": HOANG_SA}
    )
    url = f"{STATIONS}/{low['id']}/equipment"
    item = created(
        client.post(url, json=item_body(kind=TEST_AUTO, installed_date="1850-01-01"), headers=admin)
    )
    item = item[0] if isinstance(item, list) else item
    record = {"action": "calibration", "performed_on": "1850-01-01"}
    created(client.post(f"{API}/equipment/{item['id']}/maintenance", json=record, headers=admin))
    for action, days in (("inspection", 1), ("calibration", 36_500)):
        norm = {"kind": TEST_AUTO, "action": action, "interval_days": days, "source": "edge"}
        created(client.post(f"{API}/norms", json=norm, headers=admin))
    zones = [zone_feature(priority_weight=w, category="coastal") for w in (0.01, 100.0)]
    for zone in zones:
        created(client.post(f"{API}/zones", json=zone, headers=admin))
    for station_type, measure in (
        ("rain_gauge", {"spacing_km": 0.1}), ("synoptic", {"spacing_km": 2000.0}),
        ("hydrological", {"area_per_station_km2": 0.01}), ("marine", {"area_per_station_km2": 4_000_000.0}),
    ):  # fmt: skip
        norm = {"station_type": station_type, "zone_category": "coastal", "level": "high_density"} | measure
        created(client.post(f"{API}/coverage-norms", json=norm | {"source": "edge"}, headers=admin))
    partner = make_partner(db, "PEDGE", {"data_policies": ["core"]})
    return World(admin, partner, low["id"], item["id"], zones[0]["properties"]["code"])


def reads(w: World) -> list[tuple[str, dict[str, str]]]:
    """Every read of the service, as an admin or the partner."""
    z, s, e = w.zone, w.station_id, w.equipment_id
    as_admin = [
        f"{STATIONS}", f"{STATIONS}?f=geojson", f"{STATIONS}?f=csv", f"{STATIONS}/{s}", f"{STATIONS}/{s}/history",
        f"{STATIONS}/{s}/equipment", f"{API}/equipment/{e}", f"{API}/equipment/{e}/maintenance",
        f"{API}/maintenance/due?within_days=3650", f"{API}/maintenance/due?within_days=0&f=csv",
        f"{API}/norms", f"{API}/coverage-norms", f"{API}/statistics/stations", f"{API}/zones",
        f"{API}/zones/{z}", f"{API}/zones/{z}/stations", f"{API}/coverage/summary",
        f"{API}/coverage/summary?zone_category=coastal",
        f"{API}/coverage/gaps?zone={z}&type=rain_gauge&radius_km=0.1",
        f"{API}/coverage/gaps?zone={z}&type=marine&radius_km=1000&include_planned=true",
        f"{API}/coverage/proposals?zone={z}&type=rain_gauge&radius_km=0.1&count=50",
        f"{API}/coverage/proposals?zone_category=coastal&type=synoptic&radius_km=1000&count=1",
        "/ogc/collections/stations/items?limit=1000", "/ogc/collections/zones/items", "/map/data/provinces.geojson",
    ]  # fmt: skip
    as_partner = [
        "/share/v1/stations",
        "/share/v1/stations?f=csv",
        "/share/v1/stations?f=wmdr",
        "/share/v1/changes",
    ]
    return [(path, w.admin) for path in as_admin] + [(path, w.partner) for path in as_partner]


def assert_every_read_answers(client: TestClient, w: World) -> None:
    """Assert that every read answers 200 with a body of its declared type that parses."""
    failed = {}
    for path, headers in reads(w):
        r = client.get(path, headers=headers)
        kind = r.headers.get("content-type", "")
        if r.status_code != 200:
            failed[path] = (r.status_code, r.text[:300])
        elif "json" in kind:
            json.loads(r.text)  # strict: no NaN or Infinity literals
        elif "csv" in kind:
            assert len(list(csv.reader(io.StringIO(r.text)))) >= 1
        else:
            assert "xml" in kind and r.text.lstrip().startswith("<"), (path, kind)
    assert not failed, list(failed)


def test_extreme_legal_values_of_every_resource_leave_every_read_working(
    client: TestClient, extremes: World
) -> None:
    assert_every_read_answers(client, extremes)


# Values stored before the ranges existed (or written around the API): the test drops the constraints
# of migration 0010 to write them, inside its rolled-back transaction.
ODD_SQL = [
    "ALTER TABLE coverage_norm DROP CONSTRAINT ck_coverage_norm_spacing_range",
    "ALTER TABLE coverage_norm DROP CONSTRAINT ck_coverage_norm_area_range",
    "ALTER TABLE priority_zone DROP CONSTRAINT ck_priority_zone_weight_range",
    "ALTER TABLE station DROP CONSTRAINT ck_station_elevation_range",
    "UPDATE coverage_norm SET spacing_km = 1e-200 WHERE station_type = 'rain_gauge'",  # area underflows to 0
    "UPDATE coverage_norm SET spacing_km = 'NaN' WHERE station_type = 'synoptic'",
    "UPDATE coverage_norm SET area_per_station_km2 = 0 WHERE station_type = 'hydrological'",
    "UPDATE coverage_norm SET area_per_station_km2 = 'Infinity' WHERE station_type = 'marine'",
    "INSERT INTO coverage_norm (station_type, zone_category, level, spacing_km, source) "
    "VALUES ('radar', 'coastal', 'minimum', -5, 'odd'), ('lightning', 'coastal', 'minimum', 'NaN', 'odd')",
    "UPDATE priority_zone SET priority_weight = 0 WHERE priority_weight = 0.01",
    "UPDATE priority_zone SET priority_weight = 'NaN' WHERE priority_weight = 100",
    "UPDATE station SET elevation_m = 'NaN' WHERE elevation_m = 9000",
    "UPDATE station SET elevation_m = -1e300 WHERE elevation_m = -500",
]


def test_odd_values_stored_before_the_ranges_existed_leave_every_read_working(
    client: TestClient, db: Session, extremes: World
) -> None:
    for sql in ODD_SQL:
        db.execute(text(sql))
    db.flush()
    assert_every_read_answers(client, extremes)


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/coverage-norms", {"station_type": "radar", "zone_category": "sea", "spacing_km": 0.05}, "spacing_km"),
        ("/coverage-norms", {"station_type": "radar", "zone_category": "sea", "spacing_km": 2001}, "spacing_km"),
        ("/coverage-norms", {"station_type": "radar", "zone_category": "sea", "area_per_station_km2": 0.001},
         "area_per_station_km2"),
        ("/norms", {"kind": TEST_AUTO, "action": "cleaning", "interval_days": 0}, "interval_days"),
        ("/norms", {"kind": TEST_AUTO, "action": "cleaning", "interval_days": 36_501}, "interval_days"),
        ("/zones", zone_feature(priority_weight=0.001), "priority_weight"),
        ("/zones", zone_feature(priority_weight=101), "priority_weight"),
        ("/stations", station_body(elevation_m=-501), "elevation_m"),
        ("/stations", station_body(elevation_m=9001), "elevation_m"),
        ("/stations", station_body(variables=[{"name": "precipitation", "interval_min": 0}]), "interval_min"),
    ],
)  # fmt: skip
def test_a_value_out_of_its_range_is_refused_with_a_pointer_to_it(
    client: TestClient, db: Session, path: str, body: dict[str, Any], pointer: str
) -> None:
    load_kinds(db)
    make_org(db, "NCHMF")
    admin = make_key(db, "NCHMF", Role.admin)
    got = client.post(API + path, json=body | ({"source": "edge"} if "norms" in path else {}), headers=admin)
    assert_problem(got, 422, "invalid-body", pointer)


def test_dates_before_1850_are_refused_for_equipment_and_maintenance(
    client: TestClient, db: Session, extremes: World
) -> None:
    url = f"{STATIONS}/{extremes.station_id}/equipment"
    got = client.post(url, json=item_body(installed_date="1849-12-31"), headers=extremes.admin)
    assert_problem(got, 422, "invalid-body", "installed_date")
    record = {"action": "cleaning", "performed_on": "1849-12-31"}
    got = client.post(
        f"{API}/equipment/{extremes.equipment_id}/maintenance", json=record, headers=extremes.admin
    )
    assert_problem(got, 422, "invalid-body", "performed_on")


def test_query_numbers_out_of_range_are_refused_naming_the_parameter(
    client: TestClient, extremes: World
) -> None:
    for path, name in (
        (f"{API}/coverage/gaps?zone={extremes.zone}&type=rain_gauge&radius_km=0.05", "radius_km"),
        (f"{API}/coverage/proposals?zone={extremes.zone}&type=rain_gauge&count=51", "count"),
        (f"{API}/maintenance/due?within_days=3651", "within_days"),
        (f"{STATIONS}?near=105.8,21.0&radius_km=2001", "radius_km"),
    ):
        got = client.get(path, headers=extremes.admin)
        assert got.status_code == 400 and name in got.text, (path, got.text)


def test_the_database_refuses_values_out_of_range_written_around_the_api(db: Session) -> None:
    with pytest.raises(Exception, match="ck_coverage_norm_spacing_range"):
        with db.begin_nested():
            db.execute(
                text(
                    "INSERT INTO coverage_norm (station_type, zone_category, level, spacing_km, source) "
                    "VALUES ('radar', 'sea', 'minimum', 0, 'around the API')"
                )
            )
