"""First smoke: register and read back a station over HTTP."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_key, station_body


def test_editor_registers_station_and_reads_it_back(client: TestClient, db: Session) -> None:
    headers = make_key(db, "MOC")
    created = client.post("/api/v1/stations", json=station_body(name="Trạm đo mưa Đồng Hới"), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["owner"] == "MOC"
    assert body["province"] == "VN-HN"
    got = client.get(f"/api/v1/stations/{body['id']}", headers=headers)
    assert got.json()["name"] == "Trạm đo mưa Đồng Hới"
    assert got.headers["etag"] == '"r1"'
