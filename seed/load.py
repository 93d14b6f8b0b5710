"""The seed loader: organizations, provinces, stations. Idempotent: a second run adds nothing."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from domain.access.models import SYSTEM, Organization
from domain.access.service import ensure_organization
from domain.errors import DomainError
from domain.province.service import load_provinces
from domain.station import queries as station_queries
from domain.station.enums import StationStatus
from domain.station.models import StationClose
from domain.station.service import close_station, register_station
from seed import equipment as seed_equipment
from seed import zones as seed_zones
from seed.organizations import ORGANIZATIONS
from seed.provinces import province_features
from seed.stations import Rejected, SeedStation, grdc_stations, isd_stations

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass
class SeedReport:
    organizations: int = 0
    provinces: int = 0
    stations: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _seed_station(session: Session, item: SeedStation) -> bool:
    if station_queries.select_station_by_code(session, item.data.national_code) is not None:
        return False
    station = register_station(
        session, principal=SYSTEM, data=item.data.model_copy(update={"status": StationStatus.operational})
    )
    if item.closed_date is not None:
        close = StationClose(
            reason="no reports since this date (NOAA ISD history)", closed_date=item.closed_date
        )
        close_station(session, principal=SYSTEM, station_id=station.id, data=close)
    return True


def load_stations(session: Session, report: SeedReport, progress: Progress) -> None:
    """Register the ISD and GRDC stations not yet in the registry."""
    for name, source in (("NOAA ISD", isd_stations), ("GRDC", grdc_stations)):
        items, rejected = source()
        report.rejected += rejected
        for i, item in enumerate(items, start=1):
            try:
                report.stations += _seed_station(session, item)
            except DomainError as exc:
                session.rollback()
                report.rejected.append(Rejected(name, i + 1, exc.detail))
            if i % 25 == 0 or i == len(items):
                progress(f"{name}: {i}/{len(items)} stations")


def seed_all(session: Session, progress: Progress = log.info) -> SeedReport:
    """Load everything the seed has; return what was added and what was rejected."""
    report = SeedReport()
    for org in ORGANIZATIONS:
        existed = session.get(Organization, org.code) is not None
        ensure_organization(session, data=org)
        report.organizations += 0 if existed else 1
    session.commit()
    report.provinces = load_provinces(session, features=province_features())
    progress(f"provinces: {report.provinces} added")
    load_stations(session, report, progress)
    for step in (seed_zones.load, seed_equipment.load):
        step(session, progress)
    return report
