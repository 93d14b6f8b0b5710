"""The equipment seed: plausible kits at the ISD and GRDC stations, a non-empty schedule, idempotent."""

from sqlalchemy import select
from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.access.service import ensure_organization
from domain.equipment.models import EquipmentItem, EquipmentType
from domain.maintenance.models import DueFilter, MaintenanceNorm, MaintenanceRecord
from domain.maintenance.service import list_due
from domain.station.models import Station, StationRevision
from seed import equipment as seed_equipment
from seed.load import SeedReport, load_stations
from seed.organizations import ORGANIZATIONS
from tests.factories_equipment import count


def _quiet(_line: str) -> None:
    pass


def test_seed_equips_isd_and_grdc_stations_once_and_the_schedule_is_not_empty(db: Session) -> None:
    for org in ORGANIZATIONS:
        ensure_organization(db, data=org)
    db.commit()
    load_stations(db, SeedReport(), _quiet)
    seed_equipment.load(db, _quiet)
    tables = (EquipmentType, MaintenanceNorm, EquipmentItem, MaintenanceRecord, StationRevision)
    first = [count(db, t) for t in tables]
    assert first[0] >= 30 and first[1] >= 60 and first[2] > 200 and first[3] > 0
    seed_equipment.load(db, _quiet)
    assert [count(db, t) for t in tables] == first
    items, _ = list_due(db, principal=SYSTEM, filters=DueFilter(owner=["NCHMF"]), cursor=None, limit=50)
    assert len(items) == 50
    codes = set(
        db.scalars(select(Station.national_code).join(EquipmentItem, EquipmentItem.station_id == Station.id))
    )  # type: ignore[arg-type]
    assert any(c.startswith("ISD-") for c in codes) and any(c.startswith("GRDC-") for c in codes)
    automation = dict(db.execute(select(Station.national_code, Station.automation)).all())  # type: ignore[arg-type]
    assert {automation[c] for c in codes if c.startswith("ISD-")} == {"automatic"}
    assert {automation[c] for c in codes if c.startswith("GRDC-")} == {"manual", "semi_automatic"}
