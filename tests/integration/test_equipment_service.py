"""Equipment use cases on the real database: revisions, the automation rule, moves, removal, bad input."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.equipment.models import EquipmentCreate, EquipmentItem, EquipmentRemove, EquipmentUpdate
from domain.equipment.rules import DateOutOfRange, derive_automation, today
from domain.equipment.service import (
    EquipmentRemoved,
    SerialNumberInUse,
    StationNotEquippable,
    UnknownEquipmentKind,
    install_equipment,
    list_station_equipment,
    remove_equipment,
    update_equipment,
)
from domain.equipment.statistics import station_statistics
from domain.errors import AccessDenied, PreconditionFailed
from domain.station.models import StationClose
from domain.station.service import close_station
from tests.factories import DA_NANG, make_org, make_station
from tests.factories_equipment import (
    TEST_AUTO,
    TEST_MANUAL,
    count,
    item_body,
    load_kinds,
    make_item,
    revisions,
)


@pytest.fixture(autouse=True)
def _kinds(db: Session) -> None:
    load_kinds(db)


def test_derive_automation_follows_the_documented_rule() -> None:
    assert derive_automation(0, 0) is None
    assert derive_automation(3, 3) == "automatic"
    assert derive_automation(3, 0) == "manual"
    assert derive_automation(3, 1) == "semi_automatic"


def test_installing_equipment_is_a_station_revision_with_the_equipment_list(db: Session) -> None:
    station = make_station(db, automation="manual")
    item = make_item(db, station.id, kind=TEST_AUTO, serial_number="SN-A1")
    revs = revisions(db, station.id)
    assert [r.op for r in revs] == ["create", "equipment_add"]
    last = revs[-1]
    assert last.revision == station.revision == 2
    assert [e["serial_number"] for e in last.state["equipment"]] == ["SN-A1"]
    assert last.state["equipment"][0]["id"] == str(item.id)
    assert last.changes["automation"] == ["manual", "automatic"]
    assert last.changes["equipment"][0] == []


def test_automation_is_automatic_then_semi_then_manual_as_equipment_changes(db: Session) -> None:
    station = make_station(db, automation="manual")
    auto = make_item(db, station.id, kind=TEST_AUTO)
    assert station.automation == "automatic"
    make_item(db, station.id, kind=TEST_MANUAL)
    assert station.automation == "semi_automatic"
    remove_equipment(db, principal=SYSTEM, equipment_id=auto.id, data=EquipmentRemove(reason="broken"))
    assert station.automation == "manual"
    assert revisions(db, station.id)[-1].changes["automation"] == ["semi_automatic", "manual"]


def test_removed_item_is_kept_and_leaves_the_station_state(db: Session) -> None:
    station = make_station(db)
    item = make_item(db, station.id)
    removed = remove_equipment(
        db, principal=SYSTEM, equipment_id=item.id, data=EquipmentRemove(removed_date=today(), reason="worn")
    )
    assert removed.status == "removed" and removed.removed_date == today()
    assert db.get(EquipmentItem, item.id) is not None
    last = revisions(db, station.id)[-1]
    assert (last.op, last.reason, last.state["equipment"]) == ("equipment_remove", "worn", [])
    listed, _ = list_station_equipment(
        db, principal=SYSTEM, station_id=station.id, include_removed=False, cursor=None, limit=10
    )
    assert listed == []
    with pytest.raises(EquipmentRemoved):
        remove_equipment(db, principal=SYSTEM, equipment_id=item.id, data=EquipmentRemove())


def test_moving_an_item_records_a_revision_at_both_stations(db: Session) -> None:
    source = make_station(db, automation="manual")
    target = make_station(db, automation="manual", location={"type": "Point", "coordinates": list(DA_NANG)})
    make_item(db, source.id, kind=TEST_MANUAL)
    mover = make_item(db, source.id, kind=TEST_AUTO)
    assert source.automation == "semi_automatic"
    moved = update_equipment(
        db, principal=SYSTEM, equipment_id=mover.id, data=EquipmentUpdate(station_id=target.id), if_match=1
    )
    assert moved.station_id == target.id and moved.revision == 2
    assert (source.automation, target.automation) == ("manual", "automatic")
    for station, expected in ((source, []), (target, [str(mover.id)])):
        last = revisions(db, station.id)[-1]
        assert last.op == "equipment_move"
        assert [e["id"] for e in last.state["equipment"] if e["kind"] == TEST_AUTO] == expected


def test_stale_if_match_is_refused(db: Session) -> None:
    item = make_item(db, make_station(db).id)
    with pytest.raises(PreconditionFailed):
        update_equipment(
            db, principal=SYSTEM, equipment_id=item.id, data=EquipmentUpdate(model="X"), if_match=7
        )


def test_serial_number_installed_elsewhere_is_a_conflict_and_nothing_is_written(db: Session) -> None:
    first, second = make_station(db), make_station(db)
    make_item(db, first.id, serial_number="DUP-1")
    before = (count(db, EquipmentItem), second.revision)
    with pytest.raises(SerialNumberInUse) as err:
        make_item(db, second.id, serial_number="DUP-1", manufacturer="vaisala")
    assert err.value.extra["pointer"] == "#/serial_number"
    db.rollback()
    assert (count(db, EquipmentItem), second.revision) == before
    assert [r.op for r in revisions(db, second.id)] == ["create"]


def test_serial_number_of_a_removed_item_can_be_installed_again(db: Session) -> None:
    station = make_station(db)
    old = make_item(db, station.id, serial_number="RE-1")
    remove_equipment(db, principal=SYSTEM, equipment_id=old.id, data=EquipmentRemove())
    assert make_item(db, station.id, serial_number="RE-1").serial_number == "RE-1"


def test_unknown_kind_and_future_installation_are_refused(db: Session) -> None:
    station = make_station(db)
    with pytest.raises(UnknownEquipmentKind) as err:
        make_item(db, station.id, kind="flux_capacitor")
    assert err.value.extra["pointer"] == "#/kind"
    tomorrow = (today() + timedelta(days=1)).isoformat()
    with pytest.raises(DateOutOfRange) as err2:
        make_item(db, station.id, installed_date=tomorrow)
    assert err2.value.extra["pointer"] == "#/installed_date"


def test_editor_of_another_organization_cannot_install(db: Session) -> None:
    station = make_station(db, owner="MOC")
    make_org(db, "EVN")
    editor = Principal(organization="EVN", role=Role.editor)
    data = EquipmentCreate.model_validate(item_body())
    with pytest.raises(AccessDenied):
        install_equipment(db, principal=editor, station_id=station.id, items=[data])


def test_closed_station_gets_no_new_equipment(db: Session) -> None:
    station = make_station(db)
    close_station(db, principal=SYSTEM, station_id=station.id, data=StationClose(reason="moved"))
    with pytest.raises(StationNotEquippable):
        make_item(db, station.id)


def test_statistics_count_by_network_type_automation_and_status_per_province_and_owner(db: Session) -> None:
    make_station(db, owner="STATS1", network="specialized", automation="manual")
    make_station(db, owner="STATS1", station_types=["synoptic", "rain_gauge"], status="planned")
    make_station(db, owner="STATS2", location={"type": "Point", "coordinates": list(DA_NANG)})
    stats = station_statistics(db, principal=SYSTEM, owner=["STATS1", "STATS2"], province=[])
    assert stats.total == 3
    assert stats.by_network == {"specialized": 3}
    assert stats.by_type == {"rain_gauge": 3, "synoptic": 1}
    assert stats.by_automation == {"automatic": 2, "manual": 1}
    assert stats.by_status == {"operational": 2, "planned": 1}
    owners = {o.owner: o for o in stats.by_owner}
    assert owners["STATS1"].total == 2 and owners["STATS1"].by_status == {"operational": 1, "planned": 1}
    provinces = {p.province: p.total for p in stats.by_province}
    assert provinces == {"VN-HN": 2, "VN-DN": 1}
