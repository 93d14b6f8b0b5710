"""The change feed /share/v1/changes: upserts and drops in order, cursors, agreement changes."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import HCMC, make_key, make_station
from tests.factories_sharing import make_partner

GRANT = {"provinces": ["VN-HN"], "station_types": ["synoptic", "rain_gauge"]}


def follow(
    client: TestClient, headers: dict[str, str], after: str | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], str]:
    """Return every event after a cursor, page by page, and the last cursor."""
    events: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"after": after} if after else {})
        r = client.get("/share/v1/changes", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        events += body["items"]
        after = body["next_cursor"]
        if not body["items"]:
            return events, str(after)


def apply(copy: dict[str, dict[str, Any]], events: list[dict[str, Any]]) -> None:
    for e in events:
        if e["op"] == "upsert":
            copy[e["station_id"]] = e["station"]
        else:
            copy.pop(e["station_id"], None)


def patch(
    client: TestClient, admin: dict[str, str], station_id: object, revision: int, **changes: Any
) -> None:
    r = client.patch(
        f"/api/v1/stations/{station_id}", json=changes, headers=admin | {"If-Match": f'"r{revision}"'}
    )
    assert r.status_code == 200, r.text


def test_feed_from_zero_gives_upserts_then_drops_without_saying_why(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    admin = make_key(db, "NCHMF", Role.admin)
    a = make_station(db, "NCHMF", name="A")
    b = make_station(db, "NCHMF", name="B", station_types=["synoptic"])
    hidden = make_station(db, "NCHMF", name="Hidden", data_policy="restricted")
    patch(client, admin, a.id, 1, elevation_m=20.0)
    patch(client, admin, b.id, 1, data_policy="restricted")
    patch(client, admin, hidden.id, 1, elevation_m=30.0)
    events, _ = follow(client, headers, limit=2)
    assert [(e["op"], e["station_id"]) for e in events] == [
        ("upsert", str(a.id)), ("upsert", str(b.id)), ("upsert", str(a.id)), ("drop", str(b.id)),
    ]  # fmt: skip
    assert events[2]["station"]["elevation_m"] == 20.0 and events[2]["station"]["revision"] == 2
    assert set(events[3]) == {"cursor", "op", "station_id", "station", "at"} and events[3]["station"] is None
    assert str(hidden.id) not in str(events)


def test_following_the_feed_ends_with_exactly_the_partner_view(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    admin = make_key(db, "NCHMF", Role.admin)
    stations = [make_station(db, "NCHMF", name=f"S{i}") for i in range(5)]
    patch(client, admin, stations[0].id, 1, location={"type": "Point", "coordinates": list(HCMC)})
    patch(client, admin, stations[1].id, 1, station_types=["hydrological"])
    patch(client, admin, stations[1].id, 2, station_types=["hydrological", "rain_gauge"])
    closed = client.request(
        "DELETE", f"/api/v1/stations/{stations[2].id}", json={"reason": "moved"}, headers=admin
    )
    assert closed.status_code == 200, closed.text
    patch(client, admin, stations[3].id, 1, data_policy="restricted")
    patch(client, admin, stations[3].id, 2, data_policy="core")
    copy: dict[str, dict[str, Any]] = {}
    events, _ = follow(client, headers, limit=3)
    apply(copy, events)
    truth = client.get("/share/v1/stations", params={"f": "geojson"}, headers=headers).json()["features"]
    assert (
        set(copy) == {f["id"] for f in truth} == {str(s.id) for s in (stations[1], stations[3], stations[4])}
    )
    for feature in truth:
        assert copy[feature["id"]] == feature["properties"] | {"location": feature["geometry"]}


def test_a_cursor_resumes_where_it_stopped_without_repeating(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    first = make_station(db, "NCHMF")
    events, cursor = follow(client, headers)
    assert [e["station_id"] for e in events] == [str(first.id)]
    again, same = follow(client, headers, after=cursor)
    assert again == [] and same == cursor
    second = make_station(db, "NCHMF")
    later, _ = follow(client, headers, after=cursor)
    assert [e["station_id"] for e in later] == [str(second.id)]
    from_item, _ = follow(client, headers, after=events[0]["cursor"])
    assert [e["station_id"] for e in from_item] == [str(second.id)]


def test_a_changed_agreement_refuses_old_cursors(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    make_station(db, "NCHMF")
    _, cursor = follow(client, headers)
    admin = make_key(db, "NCHMF", Role.admin)
    assert (
        client.put("/share/v1/agreements/PARTNER", json={"provinces": ["VN-SG"]}, headers=admin).status_code
        == 200
    )
    r = client.get("/share/v1/changes", params={"after": cursor}, headers=headers)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/sharing-agreement-changed") and "start" in r.json()["detail"]
    restart, _ = follow(client, headers)
    assert restart == []


def test_bad_cursor_and_limit_are_refused_naming_the_parameter(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    for params, name in (({"after": "%%%"}, "after"), ({"after": "Zm9vOmJhcg"}, "after"),
                         ({"limit": 0}, "limit"), ({"limit": 100000}, "limit")):  # fmt: skip
        r = client.get("/share/v1/changes", params=params, headers=headers)
        assert r.status_code == 400, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["parameter"] == name


def test_feed_needs_a_partner_with_an_agreement(client: TestClient, db: Session) -> None:
    assert client.get("/share/v1/changes").status_code == 401
    viewer = client.get("/share/v1/changes", headers=make_key(db, "MOC", Role.viewer))
    assert viewer.status_code == 403
    lonely = client.get("/share/v1/changes", headers=make_partner(db, "LONELY"))
    assert lonely.status_code == 403 and lonely.json()["type"].endswith("/no-sharing-agreement")
