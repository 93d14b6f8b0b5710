"""Cell values of a station import: code lists in Vietnamese and English spellings, lists, numbers, text."""

import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from domain.errors import RuleViolation
from domain.station.enums import Automation, DataPolicy, Network, StationStatus, StationType
from domain.station.rules import MalformedWigosId, check_programmes, fold, validate_wsi

MAX_WSIS = 10
MAX_VARIABLES = 100
MAX_INTERVAL_MIN = 525_600
ELEVATION_RANGE_M = (-500.0, 9000.0)
_PLACEHOLDER_ELEVATIONS = frozenset({-999.0, -9999.0, 9999.0, -99999.0, 99999.0})

_KEY_SEPARATORS = re.compile(r"[\s_\-]+")
_LIST_SEPARATORS = re.compile(r"[;|,]")
_WSI_SEPARATORS = re.compile(r"[;|,\s]+")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_ELEVATION = re.compile(r"^(?P<num>[-+]?\d+(?:[.,]\d+)?)\s*m$")
_VARIABLE = re.compile(r"^(?P<name>[^:=]+?)\s*(?:[:=]\s*(?P<interval>\d+)\s*(?:min|m|')?)?$")

# Spellings seen in ministry sheets, folded (no diacritics, lower case, single spaces). The code-list
# values themselves are added below, so "Semi-Automatic" and "semi_automatic" both work.
_SPELLINGS: dict[type[StrEnum], dict[str, str]] = {
    Network: {
        "quoc gia": "national", "mang luoi quoc gia": "national", "national network": "national",
        "chuyen dung": "specialized", "specialised": "specialized", "specialized network": "specialized",
    },
    Automation: {
        "thu cong": "manual", "ban tu dong": "semi_automatic", "semiautomatic": "semi_automatic",
        "semi auto": "semi_automatic", "tu dong": "automatic", "auto": "automatic", "aws": "automatic",
    },
    StationStatus: {
        "quy hoach": "planned", "du kien": "planned", "ke hoach": "planned",
        "active": "operational", "operating": "operational", "in operation": "operational",
        "hoat dong": "operational", "dang hoat dong": "operational",
        "tam dung": "suspended", "tam ngung": "suspended", "ngung tam thoi": "suspended",
        "ngung hoat dong": "closed", "da dong": "closed", "giai the": "closed", "decommissioned": "closed",
    },
    DataPolicy: {"essential": "core", "additional": "recommended", "han che": "restricted"},
    StationType: {
        "synop": "synoptic", "khi tuong": "synoptic", "khi tuong be mat": "synoptic",
        "climate": "climatological", "khi hau": "climatological",
        "agromet": "agrometeorological", "khi tuong nong nghiep": "agrometeorological",
        "hydrology": "hydrological", "hydrometric": "hydrological", "thuy van": "hydrological",
        "rain": "rain_gauge", "raingauge": "rain_gauge", "rainfall": "rain_gauge", "do mua": "rain_gauge",
        "luong mua": "rain_gauge", "hai van": "marine", "oceanographic": "marine",
        "radiosonde": "upper_air", "cao khong": "upper_air", "tham khong": "upper_air",
        "ra da": "radar", "rada": "radar", "set": "lightning", "dinh vi set": "lightning",
        "aviation": "aeronautical", "hang khong": "aeronautical", "khac": "other",
    },
}  # fmt: skip

# wis2box facility_type (WMDR code table 3-04) to our station types, used when a row creates a station.
FACILITY_TYPES: dict[str, str] = {
    "landfixed": "synoptic", "landmobile": "other", "landonice": "other",
    "seafixed": "marine", "seamobile": "marine", "seaonice": "marine",
    "underwaterfixed": "marine", "underwatermobile": "marine",
    "lakeriverfixed": "hydrological", "lakerivermobile": "hydrological",
    "airfixed": "upper_air", "airmobile": "upper_air",
}  # fmt: skip


class CellError(ValueError):
    """A cell that breaks a rule; the message is the reason shown in the report."""


def _key(text: str) -> str:
    key = _KEY_SEPARATORS.sub(" ", fold(text)).strip()
    return key[5:] if key.startswith("tram ") else key  # "Trạm thủy văn" is a hydrological station


def _table(enum: type[StrEnum]) -> dict[str, str]:
    table = {_key(member.value): member.value for member in enum}
    table.update(_SPELLINGS[enum])
    return table


_TABLES = {enum: _table(enum) for enum in _SPELLINGS}


@lru_cache(maxsize=4096)
def code_value(enum: type[StrEnum], text: str) -> str:
    """Return the code-list value a spelling stands for, or raise CellError listing the allowed values."""
    value = _TABLES[enum].get(_key(text))
    if value is None:
        allowed = ", ".join(member.value for member in enum)
        raise CellError(f"unknown value '{text.strip()}'; allowed: {allowed}")
    return value


def _code_list(enum: type[StrEnum], *, required: bool) -> Callable[[str], str | None]:
    def convert(text: str) -> str | None:
        if not text.strip():
            if required:
                raise CellError("required: no value given")
            return None  # the station's default (or its current value) applies
        return code_value(enum, text)

    return convert


network = _code_list(Network, required=True)
automation = _code_list(Automation, required=True)
status = _code_list(StationStatus, required=False)
data_policy = _code_list(DataPolicy, required=False)


def station_types(text: str) -> list[str]:
    """Return the station types of a `;`/`|`-separated cell, each once, in the order given."""
    return list(_station_types(text))


@lru_cache(maxsize=1024)
def _station_types(text: str) -> tuple[str, ...]:
    parts = [p for p in _LIST_SEPARATORS.split(text) if p.strip()]
    if not parts:
        raise CellError("required: give at least one station type")
    return tuple(dict.fromkeys(code_value(StationType, p) for p in parts))


@lru_cache(maxsize=256)
def facility_type(text: str) -> str:
    """Return the station type a wis2box facility_type (landFixed, 'Land (fixed)' …) stands for."""
    key = re.sub(r"[^a-z0-9]", "", fold(text))
    if key in FACILITY_TYPES:
        return FACILITY_TYPES[key]
    try:
        return code_value(StationType, text)
    except CellError:
        known = ", ".join(sorted(FACILITY_TYPES))
        raise CellError(
            f"facility type '{text.strip()}' has no station type here; use one of {known} "
            "or add a station_types column"
        ) from None


def wigos_ids(text: str) -> list[str]:
    """Return the WIGOS identifiers of a `;`-separated cell, validated, the primary one first."""
    ids = (
        [p for p in _WSI_SEPARATORS.split(text) if p]
        if _WSI_SEPARATORS.search(text)
        else [text]
        if text
        else []
    )
    for wsi in ids:
        try:
            validate_wsi(wsi)
        except MalformedWigosId as exc:
            raise CellError(exc.detail) from None
    if len(set(ids)) != len(ids):
        raise CellError("a WIGOS identifier is listed twice")
    if len(ids) > MAX_WSIS:
        raise CellError(f"at most {MAX_WSIS} WIGOS identifiers per station")
    return ids


def variables(text: str) -> list[dict[str, Any]]:
    """Return [{name, interval_min}] from a cell like 'precipitation:10;air_temperature:60'."""
    return [{"name": name, "interval_min": interval} for name, interval in _variables(text)]


@lru_cache(maxsize=1024)
def _variables(text: str) -> tuple[tuple[str, int | None], ...]:
    result: list[tuple[str, int | None]] = []
    for part in (p.strip() for p in _LIST_SEPARATORS.split(text)):
        if not part:
            continue
        match = _VARIABLE.match(part)
        if match is None or len(match["name"]) > 100:
            raise CellError(
                f"cannot read variable '{part}': write name:interval_in_minutes, e.g. precipitation:10"
            )
        interval = int(match["interval"]) if match["interval"] else None
        if interval is not None and not 0 < interval <= MAX_INTERVAL_MIN:
            raise CellError(f"variable '{part}': the interval must be 1-{MAX_INTERVAL_MIN} minutes")
        result.append((match["name"], interval))
    if len(result) > MAX_VARIABLES:
        raise CellError(f"at most {MAX_VARIABLES} variables per station")
    return tuple(result)


def elevation(text: str) -> float | None:
    """Return an elevation in metres ('12', '12,5', '12 m'), None when empty."""
    cleaned = text.strip().replace("−", "-")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        match = _ELEVATION.match(cleaned) or _ELEVATION.match(cleaned + "m")
        if match is None:
            raise CellError(
                f"cannot read elevation '{cleaned}': give metres as a number, e.g. 12.5"
            ) from None
        value = float(match["num"].replace(",", "."))
    if value in _PLACEHOLDER_ELEVATIONS:
        raise CellError(
            f"placeholder elevation {cleaned}: leave the cell empty when the elevation is unknown"
        )
    low, high = ELEVATION_RANGE_M
    if not low <= value <= high:
        raise CellError(f"elevation must be between {low:g} and {high:g} m")
    return value


def national_code(text: str) -> str:
    """Return a national station code: letters, digits and . _ / - (starting with a letter or digit)."""
    code = text.strip()
    if not code:
        raise CellError("required: no value given")
    if len(code) > 64 or _CODE.match(code) is None:
        raise CellError(
            "a national code has 1-64 letters, digits, '.', '_', '/' or '-' and starts with a letter or digit"
        )
    return code


def _text(max_chars: int, *, required: bool) -> Callable[[str], str | None]:
    def convert(text: str) -> str | None:
        value = " ".join(text.split())
        if not value:
            if required:
                raise CellError("required: no value given")
            return None
        if len(value) > max_chars:
            raise CellError(f"at most {max_chars} characters (this one has {len(value)})")
        return value

    return convert


name = _text(300, required=True)
legal_basis = _text(500, required=False)
organization = _text(32, required=False)
river_or_basin = _text(200, required=False)

_DAY_FIRST = re.compile(r"^(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})$")


def established_date(text: str) -> str | None:
    """Return a date as YYYY-MM-DD from '2001-05-17' or the Vietnamese '17/05/2001'; None when empty."""
    cleaned = text.strip()
    if not cleaned:
        return None
    match = _DAY_FIRST.match(cleaned)
    iso = f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}" if match else cleaned[:10]
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        raise CellError(f"cannot read date '{cleaned}': write YYYY-MM-DD or DD/MM/YYYY") from None
    if not 1800 <= day.year <= date.today().year:
        raise CellError(f"date {day.isoformat()} is not a plausible establishment date")
    return day.isoformat()


def programmes(text: str) -> list[str]:
    """Return programme affiliations (WIGOS table 2-02 notations) of a `;`-separated cell."""
    items = [p.strip() for p in _LIST_SEPARATORS.split(text) if p.strip()]
    try:
        return check_programmes(items)
    except RuleViolation as exc:
        raise CellError(exc.detail) from None
