"""Station statistics use case: counts by network, type, automation and status, per province and owner."""

from sqlmodel import Session

from domain.access.models import Principal
from domain.equipment import queries
from domain.equipment.models import CountGroup, OwnerCounts, ProvinceCounts, StationStatistics

_FIELD = {"network": "by_network", "type": "by_type", "automation": "by_automation", "status": "by_status"}


def _add(group: CountGroup, dim: str, value: str, count: int) -> None:
    if dim == "total":
        group.total = count
    else:
        getattr(group, _FIELD[dim])[value] = count


def station_statistics(
    session: Session, *, principal: Principal, owner: list[str], province: list[str]
) -> StationStatistics:
    """Return the counts of the stations the principal may see, overall, per province and per owner.

    The counting is one grouped SQL query (GROUPING SETS); this only files its rows. A station of two
    types counts once under each type.
    """
    rows = queries.count_stations_grouped(session, owner=owner, province=province, principal=principal)
    result = StationStatistics()
    provinces: dict[str | None, ProvinceCounts] = {}
    owners: dict[str, OwnerCounts] = {}
    for scope, prov, own, dim, value, count in rows:
        if scope == "province":
            group: CountGroup = provinces.setdefault(prov, ProvinceCounts(province=prov))
        elif scope == "owner":
            group = owners.setdefault(own, OwnerCounts(owner=own))
        else:
            group = result
        _add(group, dim, value, int(count))
    result.by_province = sorted(provinces.values(), key=lambda p: p.province or "~")
    result.by_owner = sorted(owners.values(), key=lambda o: o.owner)
    return result
