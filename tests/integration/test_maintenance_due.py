"""The due schedule on the real database: norms, records, specificity, exclusions, paging, filters."""

import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.equipment.models import EquipmentRemove
from domain.equipment.rules import DateOutOfRange, today
from domain.equipment.service import remove_equipment
from domain.errors import AccessDenied
from domain.maintenance.models import DueFilter, MaintenanceRecord, NormUpdate, RecordCreate
from domain.maintenance.rules import specificity
from domain.maintenance.service import list_due, record_maintenance, update_norm
from domain.station.models import StationClose
from domain.station.service import close_station
from tests.factories import DA_NANG, make_org, make_station
from tests.factories_equipment import TEST_AUTO, count, days_ago, load_kinds, make_item, make_norm

ADMIN = SYSTEM


@pytest.fixture(autouse=True)
def _kinds(db: Session) -> None:
    load_kinds(db)


def due(db: Session, **filters: Any) -> list[dict[str, Any]]:
    """Return every due row (all pages) for these filters, as mappings."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        items, cursor = list_due(db, principal=ADMIN, filters=DueFilter(**filters), cursor=cursor, limit=2)
        out += [json.loads(i) for i in items]
        if cursor is None:
            return out


def record(db: Session, item_id: uuid.UUID, action: str, on: date) -> None:
    data = RecordCreate.model_validate({"action": action, "performed_on": on.isoformat()})
    record_maintenance(db, principal=ADMIN, equipment_id=item_id, data=data)


def test_norm_specificity_ranks_type_over_level_over_kind_default() -> None:
    assert specificity("rain_gauge", "automatic") > specificity("rain_gauge", None)
    assert specificity("rain_gauge", None) > specificity(None, "automatic") > specificity(None, None)


def test_item_never_maintained_is_due_from_its_installation_date(db: Session) -> None:
    make_norm(db, days=30)
    station = make_station(db, owner="DUE1")
    item = make_item(db, station.id, kind=TEST_AUTO, installed_date=days_ago(100).isoformat())
    (row,) = due(db, owner=["DUE1"])
    assert row["equipment_id"] == str(item.id) and row["action"] == "inspection"
    assert row["due_date"] == (days_ago(100) + timedelta(days=30)).isoformat()
    assert row["days_overdue"] == 70 and row["last_performed_on"] is None
    assert row["norm_source"] == "test circular" and row["national_code"] == station.national_code


def test_a_record_moves_the_due_date_and_within_days_looks_ahead(db: Session) -> None:
    make_norm(db, days=30)
    item = make_item(db, make_station(db, owner="DUE2").id, kind=TEST_AUTO, installed_date="2024-01-01")
    record(db, item.id, "inspection", days_ago(20))
    assert due(db, owner=["DUE2"]) == []
    (row,) = due(db, owner=["DUE2"], within_days=10)
    assert row["due_date"] == (days_ago(20) + timedelta(days=30)).isoformat()
    assert row["days_overdue"] == -10 and row["last_performed_on"] == days_ago(20).isoformat()


def test_most_specific_norm_applies(db: Session) -> None:
    make_norm(db, days=400)
    make_norm(db, days=300, automation="automatic")
    make_norm(db, days=200, station_type="rain_gauge")
    make_norm(db, days=100, station_type="rain_gauge", automation="automatic")
    make_norm(db, days=50, station_type="radar")
    rain = make_item(db, make_station(db, owner="DUE3").id, kind=TEST_AUTO, installed_date="2020-01-01")
    synoptic = make_station(db, owner="DUE3", station_types=["synoptic"])
    other = make_item(db, synoptic.id, kind=TEST_AUTO, installed_date="2020-01-01")
    rows = {r["equipment_id"]: r["interval_days"] for r in due(db, owner=["DUE3"])}
    assert rows == {str(rain.id): 100, str(other.id): 300}


def test_changing_a_norm_changes_what_is_due_at_once(db: Session) -> None:
    norm_id = make_norm(db, days=30)
    make_item(db, make_station(db, owner="DUE4").id, kind=TEST_AUTO, installed_date=days_ago(40).isoformat())
    assert len(due(db, owner=["DUE4"])) == 1
    update_norm(db, principal=ADMIN, norm_id=norm_id, data=NormUpdate(interval_days=60), if_match=1)
    assert due(db, owner=["DUE4"]) == []
    assert due(db, owner=["DUE4"], within_days=20)[0]["interval_days"] == 60


def test_removed_items_and_closed_or_planned_stations_are_not_due(db: Session) -> None:
    make_norm(db, days=10)
    kept = make_item(db, make_station(db, owner="DUE5").id, kind=TEST_AUTO, installed_date="2024-01-01")
    removed = make_item(db, make_station(db, owner="DUE5").id, kind=TEST_AUTO, installed_date="2024-01-01")
    remove_equipment(db, principal=ADMIN, equipment_id=removed.id, data=EquipmentRemove())
    planned = make_station(db, owner="DUE5", status="planned")
    make_item(db, planned.id, kind=TEST_AUTO, installed_date="2024-01-01")
    closing = make_station(db, owner="DUE5")
    make_item(db, closing.id, kind=TEST_AUTO, installed_date="2024-01-01")
    close_station(db, principal=ADMIN, station_id=closing.id, data=StationClose(reason="closed"))
    assert [r["equipment_id"] for r in due(db, owner=["DUE5"])] == [str(kept.id)]


def test_due_is_sorted_most_overdue_first_and_pages_cover_every_row_once(db: Session) -> None:
    make_norm(db, days=30)
    make_norm(db, action="cleaning", days=90)
    station = make_station(db, owner="DUE6")
    for n in range(3):
        make_item(db, station.id, kind=TEST_AUTO, installed_date=days_ago(400 - 50 * n).isoformat())
    rows = due(db, owner=["DUE6"])
    assert len(rows) == 6
    keys = [(r["due_date"], r["equipment_id"], r["action"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == 6
    assert rows[0]["days_overdue"] == max(r["days_overdue"] for r in rows)


def test_filters_by_owner_province_and_station(db: Session) -> None:
    make_norm(db, days=10)
    hanoi = make_station(db, owner="DUE7")
    danang = make_station(db, owner="DUE7", location={"type": "Point", "coordinates": list(DA_NANG)})
    for station in (hanoi, danang):
        make_item(db, station.id, kind=TEST_AUTO, installed_date="2024-01-01")
    assert len(due(db, owner=["DUE7"])) == 2
    assert {r["province"] for r in due(db, owner=["DUE7"], province=["VN-DN"])} == {"VN-DN"}
    assert [r["station_id"] for r in due(db, station_id=hanoi.id)] == [str(hanoi.id)]


def test_records_are_written_only_by_the_owners_editors_and_admins(db: Session) -> None:
    item = make_item(db, make_station(db, owner="REC1").id, installed_date="2024-01-01")
    make_org(db, "REC2")
    data = RecordCreate.model_validate({"action": "cleaning", "performed_on": "2024-05-01"})
    with pytest.raises(AccessDenied):
        record_maintenance(
            db, principal=Principal(organization="REC2", role=Role.editor), equipment_id=item.id, data=data
        )
    with pytest.raises(AccessDenied):
        record_maintenance(
            db, principal=Principal(organization="REC1", role=Role.viewer), equipment_id=item.id, data=data
        )
    owner = Principal(organization="REC1", role=Role.editor)
    done = record_maintenance(db, principal=owner, equipment_id=item.id, data=data)
    assert (done.performed_by, done.organization, done.action) == ("REC1", "REC1", "cleaning")


def test_record_in_the_future_or_before_installation_is_refused_and_nothing_is_written(db: Session) -> None:
    item = make_item(db, make_station(db).id, installed_date="2024-01-01")
    before = count(db, MaintenanceRecord)
    for bad in (today() + timedelta(days=1), date(2023, 12, 31)):
        with pytest.raises(DateOutOfRange) as err:
            record(db, item.id, "inspection", bad)
        assert err.value.extra["pointer"] == "#/performed_on"
    assert count(db, MaintenanceRecord) == before
