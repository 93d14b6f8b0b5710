"""Restricted stations leak nowhere: every GET route, format and reader, the feed, counts and errors.

A restricted station with a distinctive id, code, name, WIGOS id and instrument serial is put in the
data; a second station is public first and then restricted and renamed (its new name is secret).
Every GET route of the app is called by every kind of outsider (anonymous, partner with an
agreement covering everything, viewer and editor of another organization), with each output format
and the filters that would find it; the secrets must appear in no response body or header.
"""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import OrganizationKind, Role
from tests.factories import DA_NANG, make_key, make_org, make_station, station_body
from tests.factories_equipment import TEST_AUTO, load_kinds, make_item, make_norm
from tests.factories_sharing import make_partner

NAME = "Trạm Bí Mật Quốc Phòng XK9"
CODE = "ZZSECRET-777"
WSI = "0-704-9-ZZSECRET7"
SERIAL = "SN-ZZSECRET-0001"
LATER_NAME = "Trạm Đã Mật Hóa QP7"
PENDING_NAME = "Trạm Chờ Duyệt PENDING9"
PENDING_CODE = "ZZPENDING-991"
PENDING_RENAME = "Trạm Đổi Tên Chờ Duyệt RN5"
BBOX = f"{DA_NANG[0] - 0.1},{DA_NANG[1] - 0.1},{DA_NANG[0] + 0.1},{DA_NANG[1] + 0.1}"
VARIANTS: list[dict[str, str]] = [
    {}, {"f": "csv"}, {"f": "geojson"}, {"f": "wmdr"}, {"f": "json"}, {"q": "ZZSECRET"}, {"q": "Bí Mật"},
    {"wigos_id": WSI}, {"owner": "MOD"}, {"bbox": BBOX}, {"data_policy": "restricted"}, {"limit": "1000"},
]  # fmt: skip
ACCEPTS = ["application/json", "application/geo+json", "text/csv", "application/xml"]


@pytest.fixture
def world(client: TestClient, db: Session) -> dict[str, Any]:
    make_org(db, "MOD")
    load_kinds(db)
    make_norm(db, kind=TEST_AUTO, action="inspection", days=1)
    at_da_nang = {"type": "Point", "coordinates": list(DA_NANG)}
    secret = make_station(
        db, "MOD", name=NAME, national_code=CODE, wigos_ids=[WSI], data_policy="restricted",
        network="national", station_types=["synoptic"], location=at_da_nang, operator="MOD",
    )  # fmt: skip
    item = make_item(db, secret.id, kind=TEST_AUTO, serial_number=SERIAL, installed_date="2020-01-01")
    later = make_station(db, "MOD", location=at_da_nang)
    owner = make_key(db, "MOD", Role.editor)
    for revision, change in ((1, {"data_policy": "restricted"}), (2, {"name": LATER_NAME})):
        r = client.patch(
            f"/api/v1/stations/{later.id}", json=change, headers=owner | {"If-Match": f'"r{revision}"'}
        )
        assert r.status_code == 200, r.text
    make_station(db, "NCHMF", name="Trạm công khai", location=at_da_nang)
    pending = submit_pending(client, db, at_da_nang)
    readers = {
        "anonymous": {},
        "partner": make_partner(db, "PARTNER", {}),
        "viewer": make_key(db, "MOC", Role.viewer),
        "editor": make_key(db, "MOC", Role.editor),
    }
    secrets = [str(secret.id), CODE, NAME, WSI, SERIAL, str(item.id), LATER_NAME, PENDING_NAME, PENDING_CODE]
    secrets += [PENDING_RENAME, pending["station_id"], pending["id"]]
    return {
        "secret": secret, "item": item, "owner": owner, "readers": readers, "secrets": secrets,
        "pending": pending,
    }  # fmt: skip


def submit_pending(client: TestClient, db: Session, location: dict[str, Any]) -> dict[str, Any]:
    """Submit, as an editor of a ministry under review, a new station and a rename of a public one."""
    make_org(db, "MOT", OrganizationKind.ministry, review_required=True)
    editor = make_key(db, "MOT", Role.editor)
    public = make_station(db, "MOT")  # outside the bbox the counts test reads
    body = station_body(name=PENDING_NAME, national_code=PENDING_CODE, location=location, network="national")
    created = client.post("/api/v1/stations", json=body, headers=editor)
    renamed = client.patch(
        f"/api/v1/stations/{public.id}", json={"name": PENDING_RENAME}, headers=editor | {"If-Match": '"r1"'}
    )
    assert created.status_code == renamed.status_code == 202, created.text + renamed.text
    pending: dict[str, Any] = created.json()
    return pending


def assert_clean(response: Any, secrets: list[str], what: str) -> None:
    """Fail when a secret the caller did not itself send (in the URL) is in the body or a header."""
    text = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    asked = str(response.request.url)
    for secret in (s for s in secrets if s not in asked):
        assert secret not in text, f"{secret!r} leaked by {what} ({response.status_code})"


def get_urls(app: FastAPI, world: dict[str, Any], station_id: str | None = None) -> list[str]:
    """Return a URL for every GET route, with path parameters pointing at the secret (or this station)."""
    sid = station_id or str(world["secret"].id)
    values = {
        "station_id": sid, "feature_id": sid, "change_request_id": world["pending"]["id"],
        "equipment_id": str(world["item"].id), "organization_id": "PARTNER", "norm_id": "1",
        "collection_id": "stations", "layer": "coastline", "path": "index.js", "code": "Z-NONE",
    }  # fmt: skip
    urls = []
    for route in app.routes:
        if isinstance(route, APIRoute) and "GET" in route.methods:
            url = route.path
            for name in route.param_convertors:
                url = url.replace("{" + name + "}", values.get(name, "x")).replace("{" + name + ":path}", "x")
            urls.append(url)
    return urls + ["/ogc/collections/zones/items", "/ogc/collections/zones/items/x"]


def test_positive_control_the_owner_does_see_the_secret_station(client: TestClient, world: dict) -> None:
    r = client.get(f"/api/v1/stations/{world['secret'].id}", headers=world["owner"])
    assert r.status_code == 200 and r.json()["name"] == NAME


def test_no_get_route_shows_a_restricted_station_to_outsiders(
    client: TestClient, app: FastAPI, world: dict
) -> None:
    calls = 0
    for url in get_urls(app, world):
        for who, headers in world["readers"].items():
            for params in VARIANTS:
                response = client.get(url, params=params, headers=headers)
                assert_clean(response, world["secrets"], f"{who} GET {url} {params}")
                calls += 1
            for accept in ACCEPTS:
                response = client.get(url, headers=headers | {"Accept": accept})
                assert_clean(response, world["secrets"], f"{who} GET {url} Accept {accept}")
    assert calls > 500


def test_no_get_route_shows_a_pending_station_to_outsiders(
    client: TestClient, app: FastAPI, world: dict
) -> None:
    pending_id = world["pending"]["station_id"]
    calls = 0
    for url in get_urls(app, world, station_id=pending_id):
        for who, headers in world["readers"].items():
            for params in VARIANTS[:5]:
                response = client.get(url, params=params, headers=headers)
                assert_clean(response, world["secrets"], f"{who} GET {url} {params}")
                calls += 1
    assert calls > 200


def test_positive_control_the_reviewer_sees_the_pending_requests(
    client: TestClient, db: Session, world: dict
) -> None:
    reviewer = make_key(db, "NCHMF", Role.reviewer)
    listed = client.get("/api/v1/change-requests", params={"status": "submitted"}, headers=reviewer)
    assert PENDING_NAME in listed.text and PENDING_RENAME in listed.text


def test_the_feed_from_zero_never_shows_restricted_data(client: TestClient, world: dict) -> None:
    headers, after, events = world["readers"]["partner"], None, []
    while True:
        r = client.get(
            "/share/v1/changes", params={"limit": 2} | ({"after": after} if after else {}), headers=headers
        )
        assert_clean(r, world["secrets"], "the feed")
        events += r.json()["items"]
        after = r.json()["next_cursor"]
        if not r.json()["items"]:
            break
    assert {e["op"] for e in events} == {"upsert", "drop"}  # the later-restricted one was dropped


def test_counts_include_only_what_is_listed(client: TestClient, world: dict) -> None:
    for who in ("anonymous", "partner"):
        body = client.get(
            "/ogc/collections/stations/items", params={"bbox": BBOX}, headers=world["readers"][who]
        ).json()
        assert body["numberMatched"] == body["numberReturned"] == len(body["features"]) == 1


def test_write_errors_about_a_restricted_station_say_nothing_of_it(
    client: TestClient, db: Session, world: dict
) -> None:
    editor, sid, missing = world["readers"]["editor"], world["secret"].id, uuid.uuid4()
    for method, path, body in (
        ("PATCH", "/api/v1/stations/{}", {"name": "x"}),
        ("DELETE", "/api/v1/stations/{}", {"reason": "x"}),
        ("POST", "/api/v1/stations/{}/equipment", [{"kind": TEST_AUTO, "manufacturer": "x", "installed_date": "2024-01-01"}]),
        ("POST", "/api/v1/stations/{}/wigos-ids", {}),
        ("POST", "/api/v1/stations/{}/wigos-ids", {"wsi": "0-20000-0-48999"}),
    ):  # fmt: skip
        hidden = client.request(method, path.format(sid), json=body, headers=editor | {"If-Match": '"r1"'})
        absent = client.request(
            method, path.format(missing), json=body, headers=editor | {"If-Match": '"r1"'}
        )
        assert_clean(hidden, world["secrets"], f"{method} {path}")
        assert hidden.status_code == absent.status_code
        same = [
            {k: str(v).replace(str(i), "<id>") for k, v in r.json().items()}
            for r, i in ((hidden, sid), (absent, missing))
        ]
        assert same[0] == same[1]
    taken = client.post("/api/v1/stations", json=station_body(wigos_ids=[WSI]), headers=editor)
    assert taken.status_code == 409
    assert_clean(taken, [str(sid), NAME, CODE], "a duplicate WSI")
    same_code = client.post("/api/v1/stations", json=station_body(national_code=CODE), headers=editor)
    assert_clean(same_code, [str(sid), NAME, WSI], "a duplicate code")
