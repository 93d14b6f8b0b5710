"""Who may import what: editors only their organization's stations, owners, roles, and registry conflicts."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_org
from tests.factories_imports import IMPORTS, count_like, grdc_rows, isd_rows, post_csv, to_csv
from tests.factories_registry import STATIONS, assert_problem, keyed

PROVINCE_COLUMNS = [
    "national_code",
    "name",
    "network",
    "station_types",
    "automation",
    "latitude",
    "longitude",
]


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    make_org(db, "NCHMF")
    return make_key(db, "NCHMF", Role.admin)


def owners(client: TestClient, headers: dict[str, str], prefix: str) -> set[str]:
    items = client.get(STATIONS, params={"q": prefix, "limit": 1000}, headers=headers).json()["items"]
    return {s["owner"] for s in items}


def test_an_editor_creates_stations_owned_by_its_organization(client: TestClient, db: Session) -> None:
    org, editor = keyed(db, Role.editor)
    body = post_csv(client, editor, to_csv(grdc_rows(), PROVINCE_COLUMNS)).json()
    assert (body["created"], body["errors"]) == (27, [])
    assert owners(client, editor, "GRDC-") == {org}


def test_an_editor_cannot_touch_another_organizations_stations_and_nothing_is_written(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    assert post_csv(client, admin, to_csv(grdc_rows()[:5])).json()["created"] == 5
    org, editor = keyed(db, Role.editor)
    rows = grdc_rows()[3:8]  # two of NCHMF's stations, three new ones
    rows[0]["name"] = "Cầu 14"
    response = post_csv(client, editor, to_csv(rows, PROVINCE_COLUMNS))
    body = assert_problem(response, 422, "import-rejected")
    assert [(e["line"], e["field"], e["value"]) for e in body["errors"]] == [
        (2, "national_code", "GRDC-2369100"),
        (3, "national_code", "GRDC-2369502"),
    ]
    assert body["errors"][0]["reason"] == (
        f"station GRDC-2369100 is owned by NCHMF: an editor of {org} may change only its own organization's stations"
    )
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert count_like(db, "GRDC-%") == 5 and owners(client, admin, "GRDC-") == {"NCHMF"}


def test_an_editor_may_not_name_another_organization_as_owner(client: TestClient, db: Session) -> None:
    org, editor = keyed(db, Role.editor)
    rows = grdc_rows(owner=org)[:3]
    rows[1]["owner"] = "NCHMF"
    body = assert_problem(post_csv(client, editor, to_csv(rows)), 422, "import-rejected")
    assert body["errors"] == [
        {"line": 3, "field": "owner", "value": "NCHMF",
         "reason": f"only an admin may set the owner to another organization: leave it empty or write {org}"},
    ]  # fmt: skip
    response = post_csv(client, editor, to_csv(grdc_rows()[:3], PROVINCE_COLUMNS), owner="NCHMF")
    assert_problem(response, 403, "access-denied", "owner")


def test_an_admin_names_the_owner_by_column_or_query_and_may_change_it(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.editor)
    assert (
        post_csv(client, admin, to_csv(grdc_rows()[:4], PROVINCE_COLUMNS), owner=org).json()["created"] == 4
    )
    assert owners(client, admin, "GRDC-") == {org}
    moved = post_csv(client, admin, to_csv(grdc_rows(owner="NCHMF")[:4])).json()
    assert moved["updated"] == 4 and owners(client, admin, "GRDC-") == {"NCHMF"}
    unknown = post_csv(client, admin, to_csv(grdc_rows()[:4], PROVINCE_COLUMNS), owner="NOPE")
    assert_problem(unknown, 422, "unknown-organization", "owner")


@pytest.mark.parametrize("role", [Role.viewer, Role.partner])
def test_viewers_and_partners_may_not_import(client: TestClient, db: Session, role: Role) -> None:
    _, headers = keyed(db, role)
    assert_problem(post_csv(client, headers, to_csv(grdc_rows()[:2])), 403, "access-denied")
    assert count_like(db, "GRDC-%") == 0


def test_anonymous_imports_are_refused_and_unknown_parameters_named(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert_problem(post_csv(client, {}, to_csv(grdc_rows()[:2])), 401, "unauthenticated")
    response = post_csv(client, admin, to_csv(grdc_rows()[:2]), dryrun="true")
    assert_problem(response, 400, "invalid-query", "dryrun")
    assert_problem(post_csv(client, admin, "x", dry_run="maybe"), 400, "invalid-query", "dry_run")


def conflict_errors(client: TestClient, headers: dict[str, str], rows: list[dict[str, str]]) -> list[Any]:
    body = assert_problem(post_csv(client, headers, to_csv(rows)), 422, "import-rejected")
    return [(e["line"], e["field"], e["value"], e["reason"]) for e in body["errors"]]


def test_a_wigos_id_held_by_another_station_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    rows = isd_rows()[:3]
    assert post_csv(client, admin, to_csv(rows)).json()["created"] == 3
    sa_pa_wsi = rows[0]["wigos_ids"]
    rows[1]["wigos_ids"] = f"{rows[1]['wigos_ids']};{sa_pa_wsi}"
    assert conflict_errors(client, admin, rows[1:]) == [
        (2, "wigos_ids", sa_pa_wsi, f"WIGOS identifier {sa_pa_wsi} is already held by station ISD-488020")
    ]


def test_two_rows_for_one_station_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    rows = isd_rows()[:3]
    assert post_csv(client, admin, to_csv(rows)).json()["created"] == 3
    extra = rows[0] | {"national_code": "VN-SAPA", "name": "Sa Pa (bản sao)"}
    rows[0]["wigos_ids"] = ""  # the code finds Sa Pa on line 2, the WSI finds it again on line 5
    assert conflict_errors(client, admin, [*rows, extra]) == [
        (
            5,
            "national_code",
            "VN-SAPA",
            "matches station ISD-488020, as line 2 does: give each station one row",
        )
    ]


def test_imports_reach_the_list_filters_and_the_history(client: TestClient, admin: dict[str, str]) -> None:
    assert post_csv(client, admin, to_csv(grdc_rows())).json()["created"] == 27
    listed = client.get(STATIONS, params={"type": "hydrological", "q": "chau doc"}, headers=admin).json()
    assert [s["national_code"] for s in listed["items"]] == ["GRDC-2369010"]
    station_id = listed["items"][0]["id"]
    history = client.get(f"{STATIONS}/{station_id}/history", headers=admin).json()["items"]
    assert history[0]["op"] == "import" and history[0]["changes"]["name"] == [None, "Chau Doc"]
    assert client.post(IMPORTS, content=b"", headers=admin).status_code == 422
