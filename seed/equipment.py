"""Seed step for equipment: the kind code list (WMDS + Vietnamese network kinds), the maintenance norms
with their sources, and plausible equipment with a few maintenance records at the seeded ISD and GRDC
stations, so the maintenance schedule is not empty. Idempotent: kinds and norms are added when missing
(an admin's later edits are kept) and a station that already has equipment is left alone.

The instrument makes and models are typical of the Vietnamese network (Vaisala AWS, OTT hydrometry);
serial numbers are synthetic and marked so (prefix SEED-).
"""

import csv
import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.equipment.models import EquipmentCreate, EquipmentType
from domain.equipment.service import ensure_equipment_kind, install_equipment, stations_with_equipment
from domain.errors import DomainError
from domain.maintenance.models import NormCreate, RecordCreate
from domain.maintenance.rules import MaintenanceAction
from domain.maintenance.service import create_norm, find_norm, record_maintenance
from domain.station import queries as station_queries
from domain.station.models import Station
from seed.stations import grdc_stations, isd_stations

log = logging.getLogger(__name__)
DATA = Path(__file__).parent / "data"
WMDS_TABLES = {"ObservingMethodAtmosphere": "5-02-01", "ObservingMethodTerrestrial": "5-02-05"}
NORM_NOTE = (
    "Default interval seeded by the registry; the source describes the action. "
    "Replace it with the owner's approved norm."
)
# kind, manufacturer, model, firmware: a synoptic AWS as installed in the national network
Kit = list[tuple[str, str, str, str | None]]
AWS_SET: Kit = [
    ("aws_logger", "Vaisala", "QML201C", "7.12"),
    ("temperature_humidity_probe", "Vaisala", "HMP155", None),
    ("barometer_electronic", "Vaisala", "PTB330", None),
    ("anemometer_cup", "Vaisala", "WAA151/WAV151", None),
    ("rain_gauge_tipping_bucket", "Vaisala", "RG13H", None),
]
HYDRO_SET: Kit = [
    ("staff_gauge", "NCHMF regional workshop", "enamelled staff 1 m", None),
    ("water_level_float_recorder", "Valdai", "GR-38", None),
    ("current_meter_propeller", "OTT HydroMet", "C31", None),
]
HYDRO_AUTO_SET: Kit = [
    ("water_level_radar", "OTT HydroMet", "RLS", "1.30"),
    ("aws_logger", "OTT HydroMet", "netDL 1000", "3.2"),
]


def _wmds_names() -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for register, table in WMDS_TABLES.items():
        with (DATA / "wmds" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                names[(register, row["notation"])] = row["name"].strip()
    return names


def kinds() -> list[EquipmentType]:
    """Return the kind code list of seed/data/equipment_kinds.csv, each WMDS method checked."""
    names = _wmds_names()
    out: list[EquipmentType] = []
    with (DATA / "equipment_kinds.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            register, notation = row["wmds_register"] or None, row["wmds_notation"] or None
            source = row["note"]
            if register and notation:
                name = names[(register, notation)]  # KeyError: the CSV names a code WMDS does not have
                source = (
                    f"WMO WIGOS Metadata Standard code table {WMDS_TABLES[register]} ({register}) "
                    f"notation {notation} '{name}'; {row['note']}"
                )
            out.append(EquipmentType(
                code=row["code"], name=row["name"], name_vi=row["name_vi"] or None,
                automatic=row["automatic"] == "true", wmds_register=register, wmds_notation=notation,
                source=source,
            ))  # fmt: skip
    return out


def norms() -> list[NormCreate]:
    """Return the seeded maintenance norms of seed/data/maintenance_norms.csv."""
    with (DATA / "maintenance_norms.csv").open(encoding="utf-8", newline="") as fh:
        return [
            NormCreate.model_validate({k: (v or None) for k, v in row.items()} | {"notes": NORM_NOTE})
            for row in csv.DictReader(fh)
        ]


def load_code_lists(session: Session) -> tuple[int, int]:
    """Add the missing kinds and norms; return how many of each were added."""
    added_kinds = sum(ensure_equipment_kind(session, kind=k) for k in kinds())
    session.commit()
    added_norms = 0
    for norm in norms():
        scope = (norm.kind, norm.station_type, norm.automation, norm.action)
        if find_norm(session, scope=scope) is None:
            create_norm(session, principal=SYSTEM, data=norm)
            added_norms += 1
    return added_kinds, added_norms


def _items(station: Station, index: int, kit: Kit) -> list[EquipmentCreate]:
    installed = date(2014, 1, 15) + timedelta(days=41 * index)
    return [
        EquipmentCreate(
            kind=kind,
            manufacturer=maker,
            model=model,
            firmware=firmware,
            installed_date=installed,
            serial_number=None if kind == "staff_gauge" else f"SEED-{station.national_code}-{n:02d}",
        )  # fmt: skip
        for n, (kind, maker, model, firmware) in enumerate(kit, start=1)
    ]


def _records(session: Session, item_ids: list[uuid.UUID], index: int) -> None:
    """Give every other station an inspection and a calibration of its first two items."""
    if index % 2:
        return
    performed = date(2025, 3, 1) + timedelta(days=17 * (index % 20))
    for item_id, action in zip(
        item_ids[:2], (MaintenanceAction.inspection, MaintenanceAction.calibration), strict=False
    ):
        record = RecordCreate(action=action, performed_on=performed, performed_by="NCHMF (seed)")
        record_maintenance(session, principal=SYSTEM, equipment_id=item_id, data=record)


def _plan() -> list[tuple[str, Kit]]:
    """Return (national code, kit) for the seeded stations: an AWS at each ISD station still reporting,
    manual gauging at each GRDC gauge, with a radar sensor and logger at every third gauge."""
    plan: list[tuple[str, Kit]] = []
    for item in isd_stations()[0]:
        if item.closed_date is None:
            plan.append((item.data.national_code, AWS_SET))
    for n, item in enumerate(grdc_stations()[0]):
        plan.append((item.data.national_code, HYDRO_SET + (HYDRO_AUTO_SET if n % 3 == 0 else [])))
    return plan


def _equip(session: Session, progress: Callable[[str], None]) -> int:
    stations = [(station_queries.select_station_by_code(session, code), kit) for code, kit in _plan()]
    found = [(s, kit) for s, kit in stations if s is not None]
    done = stations_with_equipment(session, station_ids=[s.id for s, _ in found])
    equipped = 0
    for index, (station, kit) in enumerate(found):
        if station.id in done or station.status not in ("operational", "suspended"):
            continue
        try:
            items = install_equipment(
                session, principal=SYSTEM, station_id=station.id, items=_items(station, index, kit),
                reason="seeded equipment (typical kit of the national network)",
            )  # fmt: skip
            _records(session, [i.id for i in items], index)
            equipped += 1
        except DomainError as exc:
            session.rollback()
            log.warning("equipment of %s not seeded: %s", station.national_code, exc.detail)
        if (index + 1) % 25 == 0 or index + 1 == len(found):
            progress(f"equipment: {index + 1}/{len(found)} stations")
    return equipped


def load(session: Session, progress: Callable[[str], None]) -> None:
    """Load the equipment kinds, the maintenance norms and the seeded equipment; idempotent."""
    added_kinds, added_norms = load_code_lists(session)
    progress(f"equipment kinds: {added_kinds} added; maintenance norms: {added_norms} added")
    equipped = _equip(session, progress)
    progress(f"equipment: {equipped} stations equipped")
