"""Deterministic, valid-by-default test data: organizations, keys, stations."""

import itertools
from datetime import datetime
from typing import Any

from sqlmodel import Session

from domain.access.models import SYSTEM, Organization, OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization
from domain.station.models import Station, StationCreate
from domain.station.service import register_station

_counter = itertools.count(1)
# Fixed points inside Viet Nam (lon, lat)
HANOI = (105.85, 21.03)
DA_NANG = (108.20, 16.05)
HCMC = (106.70, 10.78)
HUE = (107.59, 16.46)


def make_org(
    db: Session,
    code: str = "MOC",
    kind: OrganizationKind = OrganizationKind.ministry,
    review_required: bool = False,
) -> Organization:
    """Return the organization, created if new; without review unless asked (tests of direct writes)."""
    data = OrganizationCreate(
        code=code, name=f"Organization {code}", kind=kind, review_required=review_required
    )
    org = ensure_organization(db, data=data)
    db.commit()
    return org


def make_key(
    db: Session, org: str = "MOC", role: Role = Role.editor, expires_at: datetime | None = None
) -> dict[str, str]:
    """Return request headers carrying a fresh key of this organization and role."""
    make_org(db, org, OrganizationKind.partner if role is Role.partner else OrganizationKind.ministry)
    _, secret = create_key(db, organization=org, role=role, expires_at=expires_at)
    return {"Authorization": f"Bearer {secret}"}


def station_body(**overrides: Any) -> dict[str, Any]:
    """Return a valid POST /stations body; national code from a counter."""
    n = next(_counter)
    body: dict[str, Any] = {
        "national_code": f"T-{n:05d}", "name": f"Trạm thử nghiệm {n}", "network": "specialized",
        "station_types": ["rain_gauge"], "automation": "automatic", "status": "operational",
        "location": {"type": "Point", "coordinates": list(HANOI)}, "elevation_m": 10.0, "wigos_ids": [],
        "operator": None, "data_policy": "core", "variables": [{"name": "precipitation", "interval_min": 10}],
    }  # fmt: skip
    body.update(overrides)
    return body


def make_station(db: Session, owner: str = "MOC", **overrides: Any) -> Station:
    make_org(db, owner)
    data = StationCreate.model_validate(station_body(owner=owner, **overrides))
    return register_station(db, principal=SYSTEM, data=data)
