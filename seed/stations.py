"""Stations from NOAA ISD (meteorological) and the GRDC catalogue (river gauges), as StationCreate.

ISD: a USAF number ending in 0 in block 48 reads as a WMO index x 10 (488200 -> 48820), but ISD's
number is not always the WMO index of the same site (488200 is Noi Bai airport, WMO 48820 is Ha Noi/Lang,
21 km away). So a station gets the WSI 0-20000-0-<index> only when WMO's own list (Volume A, from
OSCAR/Surface: seed/data/wmo_vola_vietnam_stations.tsv) has that index within 5 km of ISD's position;
other rows get none. A station whose END date is in 2024 is operational (automatic), an older one closed
(manual) with its END as closing date.
GRDC: every gauge is a national hydrological station; rows with placeholder coordinates (90/180) or
outside Viet Nam are rejected and reported, never loaded.
"""

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pyproj import Geod

from domain.station.models import StationCreate

DATA = Path(__file__).parent / "data"
OWNER = "NCHMF"
WMO_VOLUME_A = "wmo_vola_vietnam_stations.tsv"
WSI_AGREEMENT_M = 5000.0  # a WSI is kept only where WMO's position of the index is this close
GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class SeedStation:
    """A station to seed, with its closing date when the source says it stopped."""

    data: StationCreate
    closed_date: date | None = None


@dataclass(frozen=True)
class Rejected:
    source: str
    line: int
    reason: str


def _elevation(text: str) -> float | None:
    value = float(text) if text.strip() else -999.0
    return None if value <= -999 else value


def _degrees(text: str) -> float:
    """Return decimal degrees of a Volume A position such as `21 02 00N` or `105 48 00E`."""
    degrees, minutes, seconds = text.split()
    value = int(degrees) + int(minutes) / 60 + int(seconds[:-1]) / 3600
    return -value if seconds[-1] in "SW" else value


@lru_cache
def wmo_positions() -> dict[str, tuple[float, float]]:
    """Return {WMO index: (lon, lat)} for Viet Nam's stations in WMO's Volume A."""
    with (DATA / WMO_VOLUME_A).open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {r["IndexNbr"]: (_degrees(r["Longitude"]), _degrees(r["Latitude"])) for r in rows}


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the geodesic distance in metres between two (lon, lat) points."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def checked_wsis(usaf: str, position: tuple[float, float]) -> list[str]:
    """Return the WMO WSI of an ISD station when WMO's list puts its index within 5 km, else none."""
    if not (usaf.startswith("48") and usaf.endswith("0")):
        return []
    index = usaf[:5]
    wmo = wmo_positions().get(index)
    if wmo is None or distance_m(wmo, position) > WSI_AGREEMENT_M:
        return []
    return [f"0-20000-0-{index}"]


def _isd_row(row: dict[str, str]) -> SeedStation:
    usaf, wban, end = row["USAF"], row["WBAN"], row["END"]
    code = f"ISD-{usaf}" if usaf != "999999" else f"ISD-W{wban}"
    wsis = checked_wsis(usaf, (float(row["LON"]), float(row["LAT"])))
    operational = end >= "20240101"
    types = ["synoptic", "aeronautical"] if row["ICAO"].strip() else ["synoptic"]
    data = StationCreate.model_validate({
        "national_code": code, "name": row["STATION NAME"].title(), "network": "national",
        "station_types": types, "automation": "automatic" if operational else "manual",
        "status": "operational" if operational else "closed",
        "location": {"type": "Point", "coordinates": [float(row["LON"]), float(row["LAT"])]},
        "elevation_m": _elevation(row["ELEV(M)"]), "wigos_ids": wsis, "owner": OWNER, "operator": OWNER,
        "data_policy": "core", "variables": [{"name": v, "interval_min": 60} for v in ("air_temperature", "pressure", "precipitation", "wind_speed")],
    })  # fmt: skip
    closed = None if operational else date(int(end[:4]), int(end[4:6]), int(end[6:8]))
    return SeedStation(data, closed)


def _grdc_row(row: dict[str, str]) -> SeedStation:
    river = row["river"].title()
    data = StationCreate.model_validate({
        "national_code": f"GRDC-{row['grdc_no']}", "name": f"{row['station'].title()} ({river})", "network": "national",
        "station_types": ["hydrological"], "automation": "manual", "status": "operational",
        "location": {"type": "Point", "coordinates": [float(row["long"]), float(row["lat"])]},
        "elevation_m": _elevation(row["altitude"]), "owner": OWNER, "operator": OWNER, "data_policy": "core",
        "river": river, "basin": None,
        "variables": [{"name": "water_level", "interval_min": 60}, {"name": "discharge", "interval_min": 1440}],
    })  # fmt: skip
    return SeedStation(data)


def _read(name: str, parse: Any) -> tuple[list[SeedStation], list[Rejected]]:
    ok: list[SeedStation] = []
    bad: list[Rejected] = []
    with (DATA / name).open(encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                ok.append(parse(row))
            except (ValidationError, ValueError) as exc:
                bad.append(Rejected(name, line, str(exc).splitlines()[0]))
    return ok, bad


def _isd_wigos_elements(row: dict[str, str]) -> SeedStation:
    """Return an ISD station with the WIGOS elements ISD gives: a date established and, with a WMO index, GOS.

    BEGIN is the first day NOAA holds reports from the station, so the station existed by then: the
    registry records it as the date established (the true date may be earlier). A station with a WMO
    index number reports on the GTS, so it belongs to WMO's Global Observing System (table 2-02
    GOSGeneral); GBON/RBON listings are not in ISD and are left to the national agency.
    """
    item = _isd_row(row)
    begin = row["BEGIN"].strip()
    update: dict[str, Any] = {"programmes": ["GOSGeneral"] if item.data.wigos_ids else []}
    if len(begin) == 8 and begin.isdigit():
        update["established_date"] = date(int(begin[:4]), int(begin[4:6]), int(begin[6:8]))
    return SeedStation(item.data.model_copy(update=update), item.closed_date)


def isd_stations() -> tuple[list[SeedStation], list[Rejected]]:
    """Return the ISD stations of Viet Nam and the rows that could not be read."""
    return _read("isd_history_vietnam_stations.csv", _isd_wigos_elements)


def grdc_stations() -> tuple[list[SeedStation], list[Rejected]]:
    """Return the GRDC gauges of Viet Nam and the rows that could not be read."""
    return _read("grdc_catalogue_vietnam_stations.csv", _grdc_row)
