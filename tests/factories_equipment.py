"""Test data for equipment and maintenance: the seeded code lists, items, norms, records."""

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.equipment.models import EquipmentCreate, EquipmentItem, EquipmentType
from domain.equipment.rules import today
from domain.equipment.service import install_equipment
from domain.maintenance.models import NormCreate
from domain.maintenance.service import create_norm
from domain.station.models import StationRevision
from seed.equipment import load_code_lists

_serial = itertools.count(1)

# kinds made for tests, so that only the norms a test writes apply to them
TEST_AUTO = "test_auto_sensor"
TEST_MANUAL = "test_manual_gauge"


def load_kinds(db: Session) -> None:
    """Load the seeded kinds and norms, plus two test kinds without norms."""
    load_code_lists(db)
    for code, automatic in ((TEST_AUTO, True), (TEST_MANUAL, False)):
        if db.get(EquipmentType, code) is None:
            db.add(EquipmentType(code=code, name=code, automatic=automatic, source="tests"))
    db.commit()


def item_body(**overrides: Any) -> dict[str, Any]:
    """Return a valid POST /stations/{id}/equipment body with a fresh serial number."""
    body: dict[str, Any] = {
        "kind": "rain_gauge_tipping_bucket", "manufacturer": "Vaisala", "model": "RG13H",
        "serial_number": f"T-SN-{next(_serial):06d}", "firmware": None, "installed_date": "2024-01-10",
    }  # fmt: skip
    body.update(overrides)
    return body


def make_item(db: Session, station_id: uuid.UUID, **overrides: Any) -> EquipmentItem:
    """Install one item at a station as the system (an admin)."""
    data = EquipmentCreate.model_validate(item_body(**overrides))
    (item,) = install_equipment(db, principal=SYSTEM, station_id=station_id, items=[data])
    return item


def make_norm(
    db: Session, kind: str = TEST_AUTO, action: str = "inspection", days: int = 30, **extra: Any
) -> int:
    """Add a norm as an admin; return its id."""
    data = NormCreate.model_validate(
        {"kind": kind, "action": action, "interval_days": days, "source": "test circular"} | extra
    )
    norm = create_norm(db, principal=SYSTEM, data=data)
    assert norm.id is not None
    return norm.id


def revisions(db: Session, station_id: uuid.UUID) -> list[StationRevision]:
    """Return a station's revisions, oldest first."""
    stmt = select(StationRevision).where(StationRevision.station_id == station_id)  # type: ignore[arg-type]
    return list(db.scalars(stmt.order_by(StationRevision.revision)))  # type: ignore[arg-type]


def count(db: Session, model: type[Any]) -> int:
    """Return how many rows a table has."""
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def days_ago(n: int) -> date:
    """Return the date n days before today (Viet Nam time)."""
    return today() - timedelta(days=n)
