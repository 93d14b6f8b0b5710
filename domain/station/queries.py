"""Station write SQL: locks, revisions, WIGOS identifiers, the province and zones of a point, storage order."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.db.spatial import as_geography, point
from domain.province.models import Province
from domain.station.models import Station, StationRevision, StationWigosId
from domain.zone.models import ZONE_EDIT_LOCK, PriorityZonePart

ZP = PriorityZonePart.__table__.c  # type: ignore[attr-defined]


SHARE_ZONE_LOCK = text("SELECT pg_advisory_xact_lock_shared(:k1, :k2)")


def hold_zones_steady(session: Session) -> None:
    """Wait for a zone edit under way, and keep new ones out until the transaction ends (ZONE_EDIT_LOCK)."""
    session.execute(SHARE_ZONE_LOCK, dict(zip(("k1", "k2"), ZONE_EDIT_LOCK, strict=True)))


def zones_containing(session: Session, lon: float, lat: float) -> list[str]:
    """Return the codes of the zones a point lies in, sorted, as station.zones keeps them."""
    hold_zones_steady(session)
    codes = select(func.array_agg(func.distinct(ZP.zone_code))).where(
        func.ST_Intersects(ZP.geom, point(lon, lat))
    )
    return list(session.execute(codes).scalar() or [])


def lock_station(session: Session, station_id: uuid.UUID) -> Station | None:
    """Return the station row locked FOR UPDATE (serializes concurrent writers), zone edits held off first."""
    hold_zones_steady(session)
    stmt = (
        orm_select(Station)
        .where(col(Station.id) == station_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).first()


def select_station_by_code(session: Session, national_code: str) -> Station | None:
    """Return the station with this national code."""
    return session.exec(orm_select(Station).where(col(Station.national_code) == national_code)).first()


def select_wsi_holders(session: Session, wsis: list[str]) -> dict[str, uuid.UUID]:
    """Return {wsi: station id} for identifiers already held."""
    if not wsis:
        return {}
    rows = session.exec(orm_select(StationWigosId).where(col(StationWigosId.wsi).in_(wsis))).all()
    return {r.wsi: r.station_id for r in rows}


# The ledger of issued identifiers belongs to the wigos context (which depends on this one), so it is
# read here as plain SQL rather than through its models: an identifier issued once is never reused.
SELECT_WSI_ISSUED_TO = text("SELECT wsi, station_id FROM wigos_issued_id WHERE wsi = ANY(:wsis)")


def select_wsi_issued_to(session: Session, wsis: list[str]) -> dict[str, uuid.UUID]:
    """Return {wsi: station id} for identifiers the registry has issued (held or not)."""
    if not wsis:
        return {}
    rows = session.execute(SELECT_WSI_ISSUED_TO, {"wsis": wsis}).all()
    return {str(r[0]): r[1] for r in rows}


def replace_wsis(session: Session, station_id: uuid.UUID, wsis: list[str]) -> None:
    """Make the station hold exactly these identifiers (the first is primary)."""
    session.execute(delete(StationWigosId).where(col(StationWigosId.station_id) == station_id))
    for i, wsi in enumerate(wsis):
        session.add(StationWigosId(wsi=wsi, station_id=station_id, is_primary=i == 0))
    session.flush()


def province_of(session: Session, lon: float, lat: float, max_km: float) -> str | None:
    """Return the province containing the point, else the nearest within `max_km`, else None."""
    pt = point(lon, lat)
    P = Province.__table__.c  # type: ignore[attr-defined]
    inside = session.execute(select(P.code).where(func.ST_Intersects(P.geom, pt)).limit(1)).scalar()
    if inside:
        return str(inside)
    near = session.execute(
        select(P.code)
        .where(func.ST_DWithin(as_geography(P.geom), as_geography(pt), max_km * 1000))
        .order_by(func.ST_Distance(as_geography(P.geom), as_geography(pt)))
        .limit(1)
    ).scalar()
    return str(near) if near else None


def insert_revision(session: Session, revision: StationRevision) -> None:
    """Append a revision to a station's history."""
    session.add(revision)
    session.flush()


def select_revisions(
    session: Session, station_id: uuid.UUID, *, after: int, limit: int
) -> list[StationRevision]:
    """Return a page of a station's revisions, oldest first."""
    stmt = (
        orm_select(StationRevision)
        .where(col(StationRevision.station_id) == station_id, col(StationRevision.revision) > after)
        .order_by(col(StationRevision.revision))
        .limit(limit + 1)
    )
    return list(session.exec(stmt).all())


def select_state_as_of(session: Session, station_id: uuid.UUID, at: datetime) -> StationRevision | None:
    """Return the latest revision of a station at or before `at`."""
    stmt = (
        orm_select(StationRevision)
        .where(col(StationRevision.station_id) == station_id, col(StationRevision.at) <= at)
        .order_by(col(StationRevision.revision).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def upsert_wsi_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert identifier rows, ignoring ones already present (for bulk loads)."""
    if rows:
        session.execute(pg_insert(StationWigosId.__table__).values(rows).on_conflict_do_nothing())  # type: ignore[attr-defined]


# The equipment tables belong to the equipment context (which depends on this one), so the count is
# plain SQL on them rather than an import of their models.
COUNT_INSTALLED_EQUIPMENT = text(
    "SELECT count(*), count(*) FILTER (WHERE t.automatic) FROM equipment_item i "
    "JOIN equipment_type t ON t.code = i.kind WHERE i.station_id = :station_id AND i.removed_date IS NULL"
)


def count_installed_equipment(session: Session, station_id: uuid.UUID) -> tuple[int, int]:
    """Return (installed items, installed items of an automatic kind) at a station."""
    row = session.execute(COUNT_INSTALLED_EQUIPMENT, {"station_id": station_id}).one()
    return int(row[0]), int(row[1])


def select_carried_state(session: Session, station_id: uuid.UUID, keys: tuple[str, ...]) -> dict[str, Any]:
    """Return these keys of the station's latest revision state (those it has)."""
    R = StationRevision.__table__.c  # type: ignore[attr-defined]
    stmt = select(R.state).where(R.station_id == station_id).order_by(R.revision.desc()).limit(1)
    state = session.execute(stmt).scalar_one_or_none() or {}
    return {k: state[k] for k in keys if k in state}


# `hydromet db reorder` (domain/station/storage.py): CLUSTER rewrites the table in the order of its
# spatial index and rebuilds every index on it; VACUUM ANALYZE then marks the new pages all-visible
# (index-only scans need it) and refreshes the statistics. Runs in autocommit (VACUUM cannot run
# inside a transaction); no statement timeout, but a lock timeout: CLUSTER's ACCESS EXCLUSIVE lock
# queues every later reader behind it while it waits.
REORDER = ("CLUSTER station USING idx_station_location", "VACUUM (ANALYZE) station")
STORAGE_FACTS = text(
    "SELECT (SELECT count(*) FROM station), pg_table_size('station'), pg_indexes_size('station')"
)


def cluster_station_table(session: Session, *, lock_timeout_ms: int) -> None:
    """Rewrite the station table in spatial order, then vacuum and analyze it (autocommit sessions)."""
    connection = session.connection()
    connection.exec_driver_sql("SET statement_timeout = 0")
    connection.exec_driver_sql(f"SET lock_timeout = {int(lock_timeout_ms)}")
    for sql in REORDER:
        connection.exec_driver_sql(sql)


def select_storage_facts(session: Session) -> tuple[int, int, int]:
    """Return the station count and the table's and its indexes' sizes in bytes."""
    rows, table, indexes = session.execute(STORAGE_FACTS).one()
    return int(rows), int(table), int(indexes)
