"""Changing stations: ETag and If-Match (428/412), closing keeps the record, history and as_of reads."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories_registry import STATIONS, assert_problem, keyed, register


@pytest.fixture
def editor(db: Session) -> tuple[str, dict[str, str]]:
    return keyed(db, Role.editor)


def _get(client: TestClient, headers: dict[str, str], station_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{STATIONS}/{station_id}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_get_returns_the_station_with_its_revision_as_etag(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers)
    response = client.get(f"{STATIONS}/{station['id']}", headers=headers)
    assert response.headers["etag"] == '"r1"'
    assert response.headers["content-type"] == "application/json"
    assert response.json() == station


def test_patch_without_if_match_is_a_428_and_changes_nothing(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers, name="Trạm cũ")
    response = client.patch(f"{STATIONS}/{station['id']}", json={"name": "Trạm mới"}, headers=headers)
    assert_problem(response, 428, "precondition-required", "If-Match")
    assert _get(client, headers, station["id"])["name"] == "Trạm cũ"


@pytest.mark.parametrize("stale", ['"r1"', 'W/"r1"', '"r7"', "r2", '"abc"', "*"])
def test_patch_with_a_stale_or_unusable_if_match_is_a_412_and_changes_nothing(
    client: TestClient, editor: tuple[str, dict[str, str]], stale: str
) -> None:
    _, headers = editor
    station = register(client, headers, name="Trạm cũ")
    url = f"{STATIONS}/{station['id']}"
    assert (
        client.patch(url, json={"elevation_m": 5.0}, headers=headers | {"If-Match": '"r1"'}).status_code
        == 200
    )
    response = client.patch(url, json={"name": "Trạm mới"}, headers=headers | {"If-Match": stale})
    assert_problem(
        response,
        412,
        "precondition-failed",
        "If-Match" if not stale.startswith(('"r', 'W/"r')) else "revision",
    )
    after = _get(client, headers, station["id"])
    assert (after["name"], after["revision"]) == ("Trạm cũ", 2)


def test_a_stale_if_match_reports_the_current_revision(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers)
    url = f"{STATIONS}/{station['id']}"
    client.patch(url, json={"elevation_m": 5.0}, headers=headers | {"If-Match": '"r1"'})
    problem = client.patch(url, json={"elevation_m": 6.0}, headers=headers | {"If-Match": '"r1"'}).json()
    assert problem["current_revision"] == 2


def test_patch_with_the_current_etag_applies_and_returns_a_new_etag(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers, name="Trạm cũ")
    url = f"{STATIONS}/{station['id']}"
    etag = client.get(url, headers=headers).headers["etag"]
    response = client.patch(
        url, json={"name": "Trạm mới", "status": "suspended"}, headers=headers | {"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"r2"'
    body = response.json()
    assert (body["name"], body["status"], body["revision"]) == ("Trạm mới", "suspended", 2)
    assert body["updated_at"] > station["updated_at"]
    assert body["created_at"] == station["created_at"]
    weak = client.patch(url, json={"name": "Trạm mới hơn"}, headers=headers | {"If-Match": 'W/"r2"'})
    assert weak.headers["etag"] == '"r3"'
    assert client.get(url, headers=headers).headers["etag"] == '"r3"'


def test_a_patch_that_changes_nothing_keeps_the_revision(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers, name="Trạm A")
    url = f"{STATIONS}/{station['id']}"
    response = client.patch(url, json={"name": "Trạm A"}, headers=headers | {"If-Match": '"r1"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"r1"'
    assert len(client.get(f"{url}/history", headers=headers).json()["items"]) == 1


def test_delete_closes_the_station_with_a_reason_and_keeps_it(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers)
    url = f"{STATIONS}/{station['id']}"
    response = client.request("DELETE", url, json={"reason": "moved to a new site"}, headers=headers)
    assert response.status_code == 200, response.text
    closed = response.json()
    assert (closed["status"], closed["close_reason"]) == ("closed", "moved to a new site")
    assert closed["closed_date"] == date.today().isoformat()
    assert closed["revision"] == 2 and response.headers["etag"] == '"r2"'
    assert _get(client, headers, station["id"]) == closed
    listed = client.get(STATIONS, params={"status": "closed", "q": station["national_code"]}, headers=headers)
    assert [s["id"] for s in listed.json()["items"]] == [station["id"]]


def test_delete_takes_the_reason_from_the_query_and_a_closing_date_and_successor_from_the_body(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    first, second, successor = (register(client, headers) for _ in range(3))
    by_query = client.delete(f"{STATIONS}/{first['id']}", params={"reason": "flooded"}, headers=headers)
    assert by_query.json()["close_reason"] == "flooded"
    body = {"reason": "replaced", "closed_date": "2025-12-31", "successor_id": successor["id"]}
    by_body = client.request("DELETE", f"{STATIONS}/{second['id']}", json=body, headers=headers).json()
    assert (by_body["closed_date"], by_body["successor_id"]) == ("2025-12-31", successor["id"])


def test_delete_without_a_reason_or_twice_or_with_a_bad_successor_is_refused(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers)
    url = f"{STATIONS}/{station['id']}"
    assert_problem(client.delete(url, headers=headers), 422, "rule-violation", "#/reason")
    assert_problem(
        client.request("DELETE", url, json={"reason": ""}, headers=headers), 422, "invalid-body", "#/reason"
    )
    self_successor = {"reason": "x", "successor_id": station["id"]}
    assert_problem(
        client.request("DELETE", url, json=self_successor, headers=headers),
        422,
        "rule-violation",
        "#/successor_id",
    )
    unknown = {"reason": "x", "successor_id": "00000000-0000-0000-0000-000000000000"}
    assert_problem(
        client.request("DELETE", url, json=unknown, headers=headers), 422, "rule-violation", "#/successor_id"
    )
    assert _get(client, headers, station["id"])["status"] == "operational"
    assert client.delete(url, params={"reason": "first"}, headers=headers).status_code == 200
    again = client.delete(url, params={"reason": "second"}, headers=headers)
    assert_problem(again, 422, "station-closed", "already closed")
    assert _get(client, headers, station["id"])["close_reason"] == "first"


def test_history_lists_each_revision_with_who_when_and_what_changed(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    org, headers = editor
    station = register(client, headers, name="Trạm Láng")
    url = f"{STATIONS}/{station['id']}"
    client.patch(
        url,
        json={"name": "Trạm Láng mới", "reason": "renamed by decision 12"},
        headers=headers | {"If-Match": '"r1"'},
    )
    client.delete(url, params={"reason": "site sold"}, headers=headers)
    response = client.get(f"{url}/history", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    create, rename, close = body["items"]
    assert [r["revision"] for r in body["items"]] == [1, 2, 3]
    assert [r["op"] for r in body["items"]] == ["create", "update", "close"]
    for revision in body["items"]:
        assert revision["organization"] == org
        assert revision["actor"].startswith(f"{org}/editor/")
    assert create["at"] <= rename["at"] <= close["at"]
    assert create["changes"]["name"] == [None, "Trạm Láng"]
    assert rename["changes"] == {"name": ["Trạm Láng", "Trạm Láng mới"]}
    assert rename["reason"] == "renamed by decision 12"
    assert close["changes"]["status"] == ["operational", "closed"]
    assert close["changes"]["close_reason"] == [None, "site sold"]
    assert close["reason"] == "site sold"


def test_history_pages_with_a_next_link(client: TestClient, editor: tuple[str, dict[str, str]]) -> None:
    _, headers = editor
    station = register(client, headers)
    url = f"{STATIONS}/{station['id']}"
    for revision in (1, 2, 3):
        client.patch(
            url, json={"elevation_m": float(revision)}, headers=headers | {"If-Match": f'"r{revision}"'}
        )
    seen: list[int] = []
    page_url: str | None = f"{url}/history?limit=3"
    while page_url:
        page = client.get(page_url, headers=headers).json()
        seen += [r["revision"] for r in page["items"]]
        page_url = page["next"]
    assert seen == [1, 2, 3, 4]
    bad = client.get(f"{url}/history", params={"cursor": "abc"}, headers=headers)
    assert assert_problem(bad, 400, "invalid-query", "cursor")["parameter"] == "cursor"


def test_as_of_returns_the_state_at_that_time(client: TestClient, editor: tuple[str, dict[str, str]]) -> None:
    _, headers = editor
    station = register(client, headers, name="Trạm tên cũ")
    url = f"{STATIONS}/{station['id']}"
    renamed = client.patch(url, json={"name": "Trạm tên mới"}, headers=headers | {"If-Match": '"r1"'}).json()
    past = _get(client, headers, station["id"], as_of=station["created_at"])
    assert (past["name"], past["revision"], past["id"]) == ("Trạm tên cũ", 1, station["id"])
    assert past["location"] == station["location"]
    now = _get(client, headers, station["id"], as_of=datetime.now(UTC).isoformat())
    assert (now["name"], now["revision"]) == ("Trạm tên mới", 2)
    between = datetime.fromisoformat(renamed["updated_at"]) - timedelta(microseconds=1)
    assert _get(client, headers, station["id"], as_of=between.isoformat())["name"] == "Trạm tên cũ"


def test_as_of_before_the_station_existed_is_a_404(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers)
    response = client.get(
        f"{STATIONS}/{station['id']}", params={"as_of": "2000-01-01T00:00:00Z"}, headers=headers
    )
    assert_problem(response, 404, "station-not-found", "did not exist")


def test_a_bad_as_of_or_station_id_is_a_400_naming_it(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    station = register(client, headers)
    response = client.get(f"{STATIONS}/{station['id']}", params={"as_of": "last week"}, headers=headers)
    assert_problem(response, 400, "invalid-query", "#/as_of")
    assert_problem(
        client.get(f"{STATIONS}/not-a-uuid", headers=headers), 400, "invalid-query", "#/station_id"
    )


def test_an_unknown_station_is_a_404_everywhere(
    client: TestClient, editor: tuple[str, dict[str, str]]
) -> None:
    _, headers = editor
    url = f"{STATIONS}/00000000-0000-0000-0000-000000000000"
    assert_problem(client.get(url, headers=headers), 404, "station-not-found")
    assert_problem(client.get(f"{url}/history", headers=headers), 404, "station-not-found")
    assert_problem(
        client.patch(url, json={"name": "x"}, headers=headers | {"If-Match": '"r1"'}),
        404,
        "station-not-found",
    )
    assert_problem(client.delete(url, params={"reason": "x"}, headers=headers), 404, "station-not-found")
