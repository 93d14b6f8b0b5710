"""Sharing use cases: agreements (admins), who sees what, the partner's view and exports, usage."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.access.service import get_organization
from domain.cql.queries import filter_condition
from domain.cql.rules import Filter
from domain.errors import AccessDenied, NotFound, RuleViolation
from domain.sharing import queries, read_queries, wmdr
from domain.sharing.models import ShareGrant, ShareGrantWrite, ShareUsage
from domain.sharing.ratelimit import check_rate
from domain.sharing.rules import NO_SCOPE, PUBLIC_SCOPE, Scope, check_grant_policies, grant_scope
from domain.station.formats import csv_lines
from domain.station.reads import station_cql_columns
from domain.station.service import StationNotFound

ExportFormat = Literal["geojson", "csv", "wmdr"]
ItemFormat = Literal["json", "geojson", "wmdr"]
EXPORT_BATCH = 500


class AgreementNotFound(NotFound):
    code = "sharing-agreement-not-found"
    title = "Sharing agreement not found"


class NoSharingAgreement(AccessDenied):
    code = "no-sharing-agreement"
    title = "No sharing agreement"


def _stamp(grant: ShareGrant) -> int:
    return int(grant.updated_at.timestamp() * 1_000_000)


def _scope_of(grant: ShareGrant) -> Scope:
    return grant_scope(
        grant.networks, grant.station_types, grant.provinces, grant.data_policies, _stamp(grant)
    )


def reader_scope(session: Session, principal: Principal) -> Scope:
    """Return what a reader of public outputs (OGC) sees: a partner its agreement, anyone else public data."""
    if principal.role is not Role.partner or principal.organization is None:
        return PUBLIC_SCOPE
    row = read_queries.select_grant_row(session, principal.organization)
    if row is None:
        return NO_SCOPE
    networks, station_types, provinces, data_policies, updated_at = row
    return grant_scope(
        networks, station_types, provinces, data_policies, int(updated_at.timestamp() * 1_000_000)
    )


def partner_scope(session: Session, principal: Principal) -> Scope:
    """Return a partner's scope; AccessDenied for other roles, NoSharingAgreement without one."""
    require_role(principal, Role.partner)
    return scope_of_agreement(principal, queries.select_grant(session, str(principal.organization)))


def scope_of_agreement(principal: Principal, grant: ShareGrant | None) -> Scope:
    """Return the scope of a partner's agreement read by the caller; NoSharingAgreement without one."""
    if grant is None:
        raise NoSharingAgreement(f"organization {principal.organization} has no sharing agreement")
    return _scope_of(grant)


def get_agreement(session: Session, *, principal: Principal, organization: str) -> ShareGrant:
    """Return an agreement (admins, or the partner itself) or raise AgreementNotFound."""
    if principal.role is not Role.admin and principal.organization != organization:
        require_role(principal, Role.admin)
    grant = queries.select_grant(session, organization)
    if grant is None:
        raise AgreementNotFound(f"organization {organization} has no sharing agreement")
    return grant


def list_agreements(session: Session, *, principal: Principal) -> list[ShareGrant]:
    """Return every agreement (admins only)."""
    require_role(principal, Role.admin)
    return queries.select_grants(session)


def grant_partner_access(
    session: Session, *, principal: Principal, organization: str, data: ShareGrantWrite
) -> ShareGrant:
    """Create or replace an organization's agreement (admins only); old feed cursors stop working."""
    require_role(principal, Role.admin)
    get_organization(session, code=organization)
    check_grant_policies([p.value for p in data.data_policies])
    unknown = queries.unknown_provinces(session, data.provinces or [])
    if unknown:
        raise RuleViolation(f"unknown province code(s): {', '.join(unknown)}", pointer="#/provinces")
    grant = queries.select_grant(session, organization) or ShareGrant(
        organization=organization, data_policies=[]
    )
    grant.networks = [n.value for n in data.networks] if data.networks is not None else None
    grant.station_types = [t.value for t in data.station_types] if data.station_types is not None else None
    grant.provinces = list(dict.fromkeys(data.provinces)) if data.provinces is not None else None
    grant.data_policies = sorted({p.value for p in data.data_policies})
    grant.note = data.note
    grant.updated_at = datetime.now(UTC)
    session.add(grant)
    session.commit()
    return grant


def end_agreement(session: Session, *, principal: Principal, organization: str) -> None:
    """Delete an organization's agreement (admins only): the partner then sees nothing."""
    require_role(principal, Role.admin)
    grant = get_agreement(session, principal=principal, organization=organization)
    session.delete(grant)
    session.commit()


def admit_request(session: Session, *, principal: Principal, identity: str, per_minute: int) -> None:
    """Apply the shared per-identity rate limit, then count the partner's request (both in the database).

    Raises:
        TooManyRequests: past `per_minute` requests in the last minute, across all API processes.
    """
    partner = principal.role is Role.partner and principal.organization
    check_rate(
        session,
        identity=identity,
        per_minute=per_minute,
        organization=principal.organization if partner else None,
    )
    session.commit()


def publish_feed_horizon(session: Session) -> None:
    """Publish the change feed's horizon for hot standbys (a chore of the replication monitor)."""
    queries.publish_feed_horizon(session)
    session.commit()


def list_usage(
    session: Session, *, principal: Principal, organization: str | None, days: int
) -> list[ShareUsage]:
    """Return request counts per day: a partner its own, an admin any organization's (or all)."""
    if principal.role is not Role.admin:
        require_role(principal, Role.partner)
        if organization not in (None, principal.organization):
            raise AccessDenied("a partner sees only its own usage")
        organization = principal.organization
    since: date = datetime.now(UTC).date() - timedelta(days=days - 1)
    return queries.select_usage(session, organization, since)


def get_shared_station(
    session: Session, *, principal: Principal, station_id: uuid.UUID, fmt: ItemFormat
) -> bytes:
    """Return one station of the partner's scope; the same StationNotFound whether unseen or missing.

    One statement reads the station and the agreement together; only a miss looks the agreement up
    again, to refuse a partner without one (NoSharingAgreement) rather than answer 404.
    """
    require_role(principal, Role.partner)
    found = read_queries.select_station_bytes(
        session, station_id, organization=str(principal.organization), geojson=fmt == "geojson"
    )
    if found is None:
        partner_scope(session, principal)
        raise StationNotFound(f"no station {station_id}", station_id=str(station_id))
    return wmdr.render_station(json.loads(found)) if fmt == "wmdr" else found


def _batches(session: Session, scope: Scope, geojson: bool, cql: Filter | None = None) -> Iterator[str]:
    after: str | None = None
    condition = filter_condition(cql, station_cql_columns()) if cql is not None else None
    while True:
        stmt = queries.select_station_page(
            scope, after=after, limit=EXPORT_BATCH, geojson=geojson, condition=condition
        )
        rows = session.execute(stmt).all()
        yield from (r[1] for r in rows[:EXPORT_BATCH])
        if len(rows) <= EXPORT_BATCH:
            return
        after = rows[EXPORT_BATCH - 1][0]


def _geojson_chunks(features: Iterator[str]) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    count = 0
    for feature in features:
        yield (b"," if count else b"") + feature.encode()
        count += 1
    yield f'],"numberReturned":{count}}}'.encode()


def export_stations(
    session: Session, *, principal: Principal, fmt: ExportFormat, cql: Filter | None = None
) -> Iterator[bytes]:
    """Return the partner's whole view as chunks, read in keyset batches (bounded memory).

    The scope is checked now (so refusals raise before streaming); rows are read while iterating,
    and the session's transaction is closed when the stream ends.
    """
    scope = partner_scope(session, principal)

    def chunks() -> Iterator[bytes]:
        try:
            queries.for_short_queries(session)
            if fmt == "geojson":
                yield from _geojson_chunks(_batches(session, scope, True, cql))
            elif fmt == "csv":
                yield from (line.encode() for line in csv_lines(_batches(session, scope, False, cql)))
            else:
                stations = (json.loads(t) for t in _batches(session, scope, False, cql))
                yield from wmdr.render_stations(stations, generated_at=datetime.now(UTC))
        finally:
            session.close()

    return chunks()
