"""All WIGOS SQL: the issue-number register, the ledger of issued identifiers, completeness in SQL."""

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.wigos.elements import ELEMENTS, KNOWN_VARIABLES, missing_keys_sql, present_count_sql
from domain.wigos.models import WigosIssuedId, WigosIssueNumber

N = WigosIssueNumber.__table__.c  # type: ignore[attr-defined]
L = WigosIssuedId.__table__.c  # type: ignore[attr-defined]


def select_issue_number(session: Session, number: int, *, lock: bool = False) -> WigosIssueNumber | None:
    """Return an entry of the register (locked FOR UPDATE when `lock`: issuing in it is serialized)."""
    stmt = orm_select(WigosIssueNumber).where(col(WigosIssueNumber.number) == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def select_register(session: Session, organization: str | None) -> list[tuple[WigosIssueNumber, int]]:
    """Return the register (optionally one organization's), by number, with how many ids each issued."""
    issued = (
        select(func.count()).select_from(WigosIssuedId.__table__).where(L.issue_number == N.number)  # type: ignore[attr-defined]
    ).scalar_subquery()
    stmt = select(WigosIssueNumber, issued.label("issued")).order_by(N.number)
    if organization is not None:
        stmt = stmt.where(N.organization == organization)
    return [(row[0], int(row[1])) for row in session.execute(stmt).all()]


def select_active_numbers(session: Session, organization: str) -> list[int]:
    """Return the organization's issue numbers that are not retired."""
    stmt = select(N.number).where(N.organization == organization, N.retired_at.is_(None)).order_by(N.number)
    return [int(n) for n in session.execute(stmt).scalars()]


def insert_issue_number(session: Session, entry: WigosIssueNumber) -> None:
    """Add an entry to the register."""
    session.add(entry)
    session.flush()


# The lowest local number from :start on that no station holds and the ledger never issued in this block.
NEXT_FREE_LOCAL = text("""
SELECT n FROM generate_series(CAST(:start AS bigint), CAST(:start AS bigint) + 100000) AS n
WHERE NOT EXISTS (SELECT 1 FROM wigos_issued_id l WHERE l.wsi = CAST(:prefix AS text) || n)
  AND NOT EXISTS (SELECT 1 FROM station_wigos_id h WHERE h.wsi = CAST(:prefix AS text) || n)
ORDER BY n LIMIT 1
""")


def next_free_local(session: Session, issue_number: int, start: int) -> int | None:
    """Return the lowest free local number of a block from `start` on."""
    prefix = f"0-704-{issue_number}-"
    found = session.execute(NEXT_FREE_LOCAL, {"start": start, "prefix": prefix}).scalar()
    return None if found is None else int(found)


def select_issued(session: Session, wsi: str) -> WigosIssuedId | None:
    """Return the ledger entry of an identifier."""
    return session.get(WigosIssuedId, wsi)


def insert_issued(session: Session, entry: WigosIssuedId) -> None:
    """Add an identifier to the ledger (its primary key refuses a second issue of the same one)."""
    session.add(entry)
    session.flush()


def _visible(kind: str) -> str:
    """Return the visibility condition of a kind (see domain.station.read_queries: the same rule)."""
    if kind == "all":
        return "true"
    if kind == "open_or_own":
        return "(station.data_policy <> 'restricted' OR station.owner = :org OR station.operator = :org)"
    return "station.data_policy <> 'restricted'"


KINDS = ("all", "open_or_own", "open")
ONE_STATION = {
    kind: text(
        f"SELECT {present_count_sql()}, {missing_keys_sql()} FROM station "
        f"WHERE station.id = :station_id AND {_visible(kind)}"
    )
    for kind in KINDS
}


def select_station_completeness(
    session: Session, station_id: uuid.UUID, kind: str, who: dict[str, Any]
) -> tuple[int, list[str]] | None:
    """Return (elements present, keys missing) of one visible station, None when missing or hidden."""
    params = {"station_id": station_id, "known_variables": list(KNOWN_VARIABLES)} | who
    row = session.execute(ONE_STATION[kind], params).first()
    return None if row is None else (int(row[0]), list(row[1]))


# One pass over the matching stations: each element's test once per station (a boolean column),
# then the distribution (by tens, 100 on its own), how often each element is missing (one aggregate)
# and the first stations that block, whose missing keys alone are spelled out.
_FILTERS = " AND ".join(
    f"(CAST(:{name} AS text[]) IS NULL OR station.{name} = ANY(CAST(:{name} AS text[])))"
    for name in ("owner", "province", "network")
)
_FLAGS = ", ".join(f"coalesce({e.present}, false) AS has_{e.key}" for e in ELEMENTS)
_PRESENT = " + ".join(f"has_{e.key}::int" for e in ELEMENTS)
_MISSING_COUNTS = ", ".join(f"'{e.key}', count(*) FILTER (WHERE NOT has_{e.key})" for e in ELEMENTS)
_MISSING_KEYS = (
    "array_remove(ARRAY["
    + ", ".join(f"CASE WHEN has_{e.key} THEN NULL ELSE '{e.key}' END" for e in ELEMENTS)
    + "]::text[], NULL)"
)
_SUMMARY = f"""
WITH scored AS MATERIALIZED (
  SELECT f.*, ({_PRESENT}) * 100 / {len(ELEMENTS)} AS score FROM (
    SELECT station.id, station.national_code, station.name, station.owner, station.province, {_FLAGS}
    FROM station WHERE {{visible}} AND {_FILTERS}) f
)
SELECT
  (SELECT count(*) FROM scored),
  (SELECT coalesce(jsonb_object_agg(bucket, n), '{{{{}}}}') FROM (
     SELECT least(score / 10 * 10, 100) AS bucket, count(*) AS n FROM scored GROUP BY 1) b),
  (SELECT jsonb_build_object({_MISSING_COUNTS}) FROM scored),
  (SELECT count(*) FROM scored WHERE score < 100),
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'national_code', national_code, 'name', name,
       'owner', owner, 'province', province, 'score', score, 'missing', {_MISSING_KEYS})
       ORDER BY score, national_code), '[]') FROM (
     SELECT * FROM scored WHERE score < 100 ORDER BY score, national_code LIMIT :limit) w)
"""
SUMMARY = {kind: text(_SUMMARY.format(visible=_visible(kind))) for kind in KINDS}


def select_completeness_summary(
    session: Session, kind: str, who: dict[str, Any], filters: dict[str, list[str] | None], limit: int
) -> tuple[int, dict[str, int], dict[str, int], int, list[dict[str, Any]]]:
    """Return (stations, count by score bucket, count missing by element, blocking count, first blocking)."""
    params = {"known_variables": list(KNOWN_VARIABLES), "limit": limit} | who | filters
    row = session.execute(SUMMARY[kind], params).one()
    return int(row[0]), dict(row[1]), dict(row[2]), int(row[3]), list(row[4])
