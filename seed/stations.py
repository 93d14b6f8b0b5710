"""Stations from NOAA ISD (meteorological) and the GRDC catalogue (river gauges), as StationCreate.

ISD: USAF = WMO index x 10 for Viet Nam's synoptic stations (block 48), so 488200 gets the WSI
0-20000-0-48820; other rows (1950s-70s airfields, WBAN-only sites) get no WSI. A station whose END date
is in 2024 is operational (automatic), an older one closed (manual) with its END as closing date.
GRDC: every gauge is a national hydrological station; rows with placeholder coordinates (90/180) or
outside Viet Nam are rejected and reported, never loaded.
"""

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.station.models import StationCreate

DATA = Path(__file__).parent / "data"
OWNER = "NCHMF"


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


def _isd_row(row: dict[str, str]) -> SeedStation:
    usaf, wban, end = row["USAF"], row["WBAN"], row["END"]
    code = f"ISD-{usaf}" if usaf != "999999" else f"ISD-W{wban}"
    wsis = [f"0-20000-0-{usaf[:5]}"] if usaf.startswith("48") and usaf.endswith("0") else []
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
