"""Zone use cases: create, change, delete, read, list. Each write ends in one commit."""

import logging
from dataclasses import dataclass

from geoalchemy2.elements import WKTElement
from shapely.geometry import MultiPolygon
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.db.clock import utcnow
from domain.db.spatial import WGS84
from domain.errors import Conflict, InvalidQuery, NotFound, RuleViolation, check_revision
from domain.zone import queries
from domain.zone.models import PriorityZone, ZoneCategory, ZoneCreate, ZoneUpdate
from domain.zone.rules import check_hazard, check_zone_geometry

log = logging.getLogger(__name__)


class ZoneNotFound(NotFound):
    code = "zone-not-found"
    title = "Zone not found"


class DuplicateZoneCode(Conflict):
    code = "duplicate-zone-code"
    title = "Zone code already used"


@dataclass(frozen=True)
class ZonePage:
    """A page of zones already serialized to GeoJSON Feature text, and the next cursor (a code)."""

    items: list[str]
    next_cursor: str | None


def _wkt(geom: MultiPolygon) -> WKTElement:
    return WKTElement(geom.wkt, srid=WGS84)


def create_zone(session: Session, *, principal: Principal, data: ZoneCreate) -> PriorityZone:
    """Create a zone from a GeoJSON Feature (admins only); its parts and area are built with it."""
    require_role(principal, Role.admin)
    props = data.properties
    check_hazard(props.category, props.hazard)
    geom = check_zone_geometry(data.geometry)
    queries.hold_zone_edits(session)
    if queries.select_zone(session, props.code) is not None:
        raise DuplicateZoneCode(f"zone code '{props.code}' is already used", zone_id=props.code)
    zone = PriorityZone(**props.model_dump(), geom=_wkt(geom))
    try:
        queries.insert_zone(session, zone)
    except IntegrityError as exc:
        session.rollback()
        raise DuplicateZoneCode(f"zone code '{props.code}' is already used", zone_id=props.code) from exc
    queries.refresh_zone_parts(session, zone.code)
    queries.restamp_members(session, zone.code)
    session.commit()
    log.info("zone %s created by %s", zone.code, principal.actor)
    return zone


REQUIRED_PROPERTIES = ("name", "category", "priority_weight")


def update_zone(
    session: Session, *, principal: Principal, zone_id: str, data: ZoneUpdate, if_match: int
) -> PriorityZone:
    """Change a zone's properties or geometry (admins only), refusing a stale If-Match revision."""
    require_role(principal, Role.admin)
    if data.geometry is not None:
        queries.hold_zone_edits(session)
    zone = queries.lock_zone(session, zone_id)
    if zone is None:
        raise ZoneNotFound(f"no zone '{zone_id}'", zone_id=zone_id)
    check_revision(f"zone '{zone_id}'", zone.revision, if_match)
    changes = data.properties.model_dump(exclude_unset=True) if data.properties else {}
    for name in REQUIRED_PROPERTIES:  # an explicit null would reach a NOT NULL column as a 500
        if name in changes and changes[name] is None:
            raise RuleViolation(f"{name} cannot be null", pointer=f"#/properties/{name}")
    check_hazard(changes.get("category", zone.category), changes.get("hazard", zone.hazard))
    geom = check_zone_geometry(data.geometry) if data.geometry is not None else None
    for name, value in changes.items():
        setattr(zone, name, value)
    if geom is not None:
        zone.geom = _wkt(geom)
    zone.revision += 1
    zone.updated_at = utcnow()
    session.add(zone)
    session.flush()
    if data.geometry is not None:
        queries.refresh_zone_parts(session, zone.code)
        queries.restamp_members(session, zone.code)
    session.commit()
    return zone


def delete_zone(session: Session, *, principal: Principal, zone_id: str) -> None:
    """Delete a zone and its parts (admins only); its stations no longer list it."""
    require_role(principal, Role.admin)
    queries.hold_zone_edits(session)
    zone = queries.lock_zone(session, zone_id)
    if zone is None:
        raise ZoneNotFound(f"no zone '{zone_id}'", zone_id=zone_id)
    queries.delete_zone(session, zone)
    queries.restamp_members(session, zone_id)
    session.commit()


def find_zone(session: Session, *, zone_id: str) -> PriorityZone | None:
    """Return the zone, or None."""
    return queries.select_zone(session, zone_id)


def get_zone(session: Session, *, zone_id: str) -> PriorityZone:
    """Return the zone or raise ZoneNotFound."""
    zone = queries.select_zone(session, zone_id)
    if zone is None:
        raise ZoneNotFound(f"no zone '{zone_id}'", zone_id=zone_id)
    return zone


def get_zone_json(session: Session, *, zone_id: str) -> tuple[str, int]:
    """Return one zone as GeoJSON Feature text and its revision, or raise ZoneNotFound."""
    found = queries.select_zone_json(session, zone_id)
    if found is None:
        raise ZoneNotFound(f"no zone '{zone_id}'", zone_id=zone_id)
    return found


def list_zones(
    session: Session,
    *,
    category: str | None = None,
    hazard: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    with_geometry: bool = True,
) -> ZonePage:
    """Return one page of zones by code, optionally of one category or hazard."""
    stmt = queries.select_zone_page(
        category=category, hazard=hazard, after=cursor, limit=limit, with_geometry=with_geometry
    )
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return ZonePage(items=[r[1] for r in rows], next_cursor=rows[-1][0] if more and rows else None)


def zone_codes(session: Session, *, zone_id: str | None, category: str | None) -> list[str]:
    """Return the zones a coverage question is about: one zone, one category's, or every zone."""
    if zone_id and category:
        raise InvalidQuery("give zone or zone_category, not both", parameter="zone_category")
    if zone_id:
        get_zone(session, zone_id=zone_id)
        return [zone_id]
    if category is not None and category not in ZoneCategory.__members__:
        allowed = sorted(ZoneCategory.__members__)
        raise InvalidQuery(
            f"zone_category='{category}' is not one of: {', '.join(allowed)}",
            parameter="zone_category",
            allowed=allowed,
        )
    codes = queries.select_zone_codes(session, category=category)
    if not codes:
        what = f"in category '{category}'" if category else "at all"
        raise ZoneNotFound(f"there are no zones {what}", zone_category=category)
    return codes
