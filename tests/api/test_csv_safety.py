"""Every CSV output is safe for spreadsheets (no cell starts like a formula) and imports back as it was."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from domain.csvio import FORMULA_STARTS
from tests.factories import make_key, make_org
from tests.factories_equipment import TEST_AUTO, days_ago, item_body, load_kinds, make_norm
from tests.factories_imports import post_csv
from tests.factories_registry import STATIONS, register, unique_code
from tests.factories_sharing import make_partner

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/x","bấm vào đây")',
    "legal_basis": "+cmd|' /C calc'!A0",
    "river": "@SUM(1+1)*cmd|' /C calc'!A0",
    "basin": "-2+3+cmd|' /C calc'!A0",
}
NUMERIC_COLUMNS = ("latitude", "longitude", "elevation_m", "revision", "days_overdue", "interval_days")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_no_formula(rows: list[dict[str, str]]) -> None:
    """Assert that no text cell starts with a formula character (numbers may be negative)."""
    for row in rows:
        for column, cell in row.items():
            if column in NUMERIC_COLUMNS and cell:
                float(cell)  # a number, written as one
            else:
                assert cell[:1] not in FORMULA_STARTS, (column, cell)


@pytest.fixture
def hostile(client: TestClient, db: Session) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A station of a fresh organization whose text fields are spreadsheet formulas, below sea level."""
    org = unique_code("CSV")
    headers = make_key(db, org, Role.editor)
    station = register(client, headers, **HOSTILE, elevation_m=-5.0, station_types=["hydrological"])
    return org, headers, station


def test_registry_station_list_csv_escapes_formulas_and_keeps_numbers(
    client: TestClient, hostile: tuple[str, dict[str, str], dict[str, Any]]
) -> None:
    org, headers, _ = hostile
    got = client.get(STATIONS, params={"owner": org, "f": "csv"}, headers=headers)
    assert got.status_code == 200, got.text
    (row,) = rows_of(got.text)
    assert_no_formula([row])
    assert {k: row[k] for k in HOSTILE} == {k: "'" + v for k, v in HOSTILE.items()}
    assert float(row["elevation_m"]) == -5.0


def test_partner_station_csv_escapes_formulas(
    client: TestClient, db: Session, hostile: tuple[str, dict[str, str], dict[str, Any]]
) -> None:
    org, _, station = hostile
    partner = make_partner(db, unique_code("PCSV"), {"networks": ["specialized"], "data_policies": ["core"]})
    got = client.get("/share/v1/stations", params={"f": "csv"}, headers=partner)
    assert got.status_code == 200, got.text
    rows = rows_of(got.text)
    ours = [r for r in rows if r["id"] == station["id"]]
    assert len(ours) == 1 and ours[0]["name"] == "'" + HOSTILE["name"]
    assert_no_formula(rows)


def test_maintenance_due_csv_escapes_formulas(
    client: TestClient, db: Session, hostile: tuple[str, dict[str, str], dict[str, Any]]
) -> None:
    org, headers, station = hostile
    load_kinds(db)
    make_norm(db, days=30)
    body = item_body(
        kind=TEST_AUTO, manufacturer="=1+1", model="@A1", serial_number="-SN-1",
        installed_date=days_ago(45).isoformat(),
    )  # fmt: skip
    made = client.post(f"{STATIONS}/{station['id']}/equipment", json=body, headers=headers)
    assert made.status_code == 201, made.text
    got = client.get("/api/v1/maintenance/due", params={"owner": org, "f": "csv"}, headers=headers)
    assert got.status_code == 200, got.text
    (row,) = rows_of(got.text)
    assert_no_formula([row])
    assert (row["manufacturer"], row["model"], row["serial_number"]) == ("'=1+1", "'@A1", "'-SN-1")
    assert row["station_name"] == "'" + HOSTILE["name"] and row["days_overdue"] == "15"


def test_exported_station_list_imports_back_unchanged(
    client: TestClient, db: Session, hostile: tuple[str, dict[str, str], dict[str, Any]]
) -> None:
    org, headers, station = hostile
    register(client, headers, name="'quoted' on purpose", elevation_m=-0.5, river="- dash")
    exported = client.get(STATIONS, params={"owner": org, "f": "csv"}, headers=headers).text
    make_org(db, "NCHMF")
    admin = make_key(db, "NCHMF", Role.admin)
    report = post_csv(client, admin, exported)
    assert report.status_code == 200, report.text
    assert (report.json()["created"], report.json()["updated"], report.json()["unchanged"]) == (0, 0, 2)
    again = client.get(f"{STATIONS}/{station['id']}", headers=headers).json()
    assert {k: again[k] for k in HOSTILE} == HOSTILE and again["elevation_m"] == -5.0


def test_an_edited_export_imports_text_without_the_apostrophe_and_numbers_as_numbers(
    client: TestClient, db: Session, hostile: tuple[str, dict[str, str], dict[str, Any]]
) -> None:
    org, headers, station = hostile
    exported = client.get(STATIONS, params={"owner": org, "f": "csv"}, headers=headers).text
    rows = rows_of(exported)
    rows[0] |= {"name": "'=2*3 mới", "elevation_m": "'-7.5"}  # as a spreadsheet would save text cells
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    make_org(db, "NCHMF")
    report = post_csv(client, make_key(db, "NCHMF", Role.admin), out.getvalue())
    assert report.status_code == 200, report.text
    assert report.json()["updated"] == 1
    again = client.get(f"{STATIONS}/{station['id']}", headers=headers).json()
    assert (again["name"], again["elevation_m"]) == ("=2*3 mới", -7.5)
