"""Coordinates as people type them (decimal, degrees-minutes-seconds, decimal comma) and point checks."""

import math
import re
from collections.abc import Callable
from typing import Literal

AreaPredicate = Callable[[float, float], bool]
"""Takes (lon, lat); True when the point lies in Viet Nam's service area (injected: rules stay pure)."""

Axis = Literal["latitude", "longitude"]
LIMITS: dict[str, float] = {"latitude": 90.0, "longitude": 180.0}
_HEMISPHERES = {"latitude": "NS", "longitude": "EW"}

# Values that mean "unknown" in catalogues (GRDC, ISD, hand-made sheets), never a real Vietnamese station.
_PLACEHOLDER_ABS = frozenset({99.0, 999.0, 9999.0, 99999.0, 99.9, 99.99, 999.9, 999.99, 9999.9})

_NUMBER = r"\d+(?:[.,]\d+)?"
# Hemisphere letters are upper case (lower-case n, e, w too), but a lower-case "s" is always seconds:
# "21d01m30s" is north, "21d01m30S" is south. Seconds are only read after minutes, and a part must be
# set off from the one before by a mark or a space (the look-behinds), so "2130" is never 21°30'.
_DMS = re.compile(
    rf"""^(?P<h1>[NSEWnew])?\s*(?P<sign>[-+])?\s*
    (?P<deg>{_NUMBER})\s*(?:°|º|˚|deg|d|D)?
    (?:(?<=[^\d.,])\s*(?P<min>{_NUMBER})\s*(?:'|′|’|‘|min|m|M)?
       (?:(?<=[^\d.,])\s*(?P<sec>{_NUMBER})\s*(?:"|″|”|“|''|′′|’’|sec|s)?)?
    )?
    \s*(?P<h2>[NSEWnew])?$""",
    re.VERBOSE,
)


class CoordinateError(ValueError):
    """A coordinate cell that cannot be read; the message is the reason shown in the report."""


def parse_coordinate(text: str, axis: Axis) -> float:
    """Return a latitude or longitude cell in decimal degrees (range is checked by `point_problems`)."""
    cleaned = text.strip().replace("−", "-")
    if not cleaned:
        raise CoordinateError(f"{axis} is required")
    try:
        value = float(cleaned)
    except ValueError:
        value = _parse_spelled(cleaned, axis)
    if not math.isfinite(value):
        raise CoordinateError(f"{axis} must be a finite number of degrees")
    return value


def _parse_spelled(text: str, axis: Axis) -> float:
    match = _DMS.match(text)
    if match is None:
        raise CoordinateError(
            f"cannot read {axis} '{text}': use decimal degrees (21.0333) "
            "or degrees, minutes and seconds (21°01'30\"N)"
        )
    deg, minutes, seconds = (match[g] for g in ("deg", "min", "sec"))
    if (minutes is not None and not deg.isdigit()) or (seconds is not None and not str(minutes).isdigit()):
        raise CoordinateError(f"cannot read {axis} '{text}': only the last part may have decimals")
    value = (
        _number(deg) + _sixtieths(minutes, "minutes", text) / 60 + _sixtieths(seconds, "seconds", text) / 3600
    )
    return _signed(value, match, axis, text)


def _number(part: str) -> float:
    return float(part.replace(",", "."))


def _sixtieths(part: str | None, unit: str, text: str) -> float:
    if part is None:
        return 0.0
    value = _number(part)
    if value >= 60:
        raise CoordinateError(f"cannot read '{text}': {unit} must be below 60")
    return value


def _signed(value: float, match: re.Match[str], axis: Axis, text: str) -> float:
    first, last = match["h1"], match["h2"]
    if first and last:
        raise CoordinateError(f"cannot read {axis} '{text}': the hemisphere is given twice")
    hemisphere = (first or last or "").upper()
    if hemisphere and hemisphere not in _HEMISPHERES[axis]:
        raise CoordinateError(
            f"{axis} '{text}' has hemisphere {hemisphere}; a {axis} takes {' or '.join(_HEMISPHERES[axis])}"
        )
    if hemisphere and match["sign"]:
        raise CoordinateError(f"cannot read {axis} '{text}': give either a sign or a hemisphere, not both")
    negative = match["sign"] == "-" or hemisphere in ("S", "W")
    return -value if negative else value


def is_placeholder(lat: float, lon: float) -> bool:
    """Return True for the stand-ins catalogues use for an unknown position (0/0, 90/180, -999, 99.9 …)."""
    if lat == 0 and lon == 0:
        return True
    if (abs(lat) == 90 and abs(lon) == 0) or abs(lon) == 180:
        return True
    return abs(lat) in _PLACEHOLDER_ABS or abs(lon) in _PLACEHOLDER_ABS


def _fmt(value: float) -> str:
    return format(value, ".6f").rstrip("0").rstrip(".")


def point_problems(lat: float, lon: float, in_area: AreaPredicate) -> list[tuple[Axis, str]]:
    """Return (field, reason) for each problem of a point: placeholder, swapped, out of range, outside."""
    if is_placeholder(lat, lon):
        return [
            (
                "latitude",
                f"placeholder coordinates ({_fmt(lat)}, {_fmt(lon)}): give the station's real position",
            )
        ]
    in_range = abs(lat) <= LIMITS["latitude"] and abs(lon) <= LIMITS["longitude"]
    if in_range and in_area(lon, lat):
        return []
    if abs(lon) <= LIMITS["latitude"] and in_area(lat, lon):
        return [
            (
                "latitude",
                f"latitude and longitude appear swapped: ({_fmt(lon)}, {_fmt(lat)}) would be in Viet Nam",
            )
        ]
    problems: list[tuple[Axis, str]] = []
    if abs(lat) > LIMITS["latitude"]:
        problems.append(("latitude", f"latitude {_fmt(lat)} is out of range: it must be between -90 and 90"))
    if abs(lon) > LIMITS["longitude"]:
        problems.append(
            ("longitude", f"longitude {_fmt(lon)} is out of range: it must be between -180 and 180")
        )
    if not problems:
        problems.append(
            ("latitude", f"({_fmt(lat)}, {_fmt(lon)}) is outside Viet Nam's land, sea and archipelagos")
        )
    return problems
