"""Pure rules of the station model: WIGOS identifiers, text folding, locations, diffs."""

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from domain.errors import InvalidGeometry, RuleViolation
from domain.geo import in_service_area

WSI_PATTERN = re.compile(r"^0-(\d{1,5})-(\d{1,5})-([A-Za-z0-9]{1,16})$")
MAX_WSI_PART = 65534


class MalformedWigosId(RuleViolation):
    code = "malformed-wigos-id"
    title = "Malformed WIGOS station identifier"


class PointOutsideServiceArea(InvalidGeometry):
    code = "point-outside-service-area"
    title = "Point outside Viet Nam's land, sea and archipelagos"


def validate_wsi(text: str) -> str:
    """Return the WIGOS station identifier if it is well formed, else raise MalformedWigosId."""
    match = WSI_PATTERN.match(text)
    if match is None:
        raise MalformedWigosId(
            f"'{text}' is not a WIGOS station identifier: expected 0-<issuer>-<issue number>-<local id>, "
            "series 0, issuer and issue number 0-65534, local id 1-16 letters or digits",
            value=text,
        )
    issuer, issue = int(match[1]), int(match[2])
    if issuer > MAX_WSI_PART or issue > MAX_WSI_PART:
        raise MalformedWigosId(f"'{text}': issuer and issue number must be 0-65534", value=text)
    return text


def fold(text: str) -> str:
    """Return text without diacritics, lower-cased, for diacritics-insensitive search."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_text(name: str, national_code: str) -> str:
    """Return the folded text a station is found by."""
    return fold(f"{name} {national_code}")


def check_location(lon: float, lat: float) -> None:
    """Raise unless the point lies in Viet Nam's service area."""
    if not in_service_area(lon, lat):
        raise PointOutsideServiceArea(
            f"({lon}, {lat}) is outside Viet Nam's land, sea and archipelagos",
            pointer="#/location/coordinates",
            value=[lon, lat],
        )


def check_wigos_ids(wigos_ids: list[str]) -> list[str]:
    """Return the identifiers validated and without repeats (the first is the primary one)."""
    seen: list[str] = []
    for wsi in wigos_ids:
        validate_wsi(wsi)
        if wsi in seen:
            raise RuleViolation(f"WIGOS identifier {wsi} is listed twice", pointer="#/wigos_ids")
        seen.append(wsi)
    return seen


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for every field whose value differs."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


# Archipelago districts: Hoàng Sa belongs to Đà Nẵng, Trường Sa to Khánh Hòa (their source polygons are
# schematic and miss some islands, so a station there is assigned by the archipelago's extent).
ARCHIPELAGO_PROVINCES = (
    ((110.9, 15.5, 113.0, 17.5), "VN-DN"),
    ((111.0, 6.0, 117.5, 12.0), "VN-34"),
)


def archipelago_province(lon: float, lat: float) -> str | None:
    """Return the province of an archipelago district containing the point, if any."""
    for (min_lon, min_lat, max_lon, max_lat), code in ARCHIPELAGO_PROVINCES:
        if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat:
            return code
    return None


def implied_automation(installed: int, automatic: int) -> str | None:
    """Return the automation level installed equipment implies (None without equipment).

    The same rule as domain.equipment.rules.derive_automation, which applies it when equipment changes;
    here it refuses a direct PATCH that would contradict the equipment.
    """
    if installed <= 0:
        return None
    if automatic >= installed:
        return "automatic"
    return "manual" if automatic == 0 else "semi_automatic"


PROGRAMME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
# WIGOS elements 3-01 (WMO region, table 3-01) and 3-02 (territory, table 3-02, ISO 3166 alpha-3). Every
# point of Viet Nam's service area (land, sea, archipelagos) lies in Region II, Asia, and is Viet Nam's.
WMO_REGION_VIET_NAM = "asia"
TERRITORY_VIET_NAM = "VNM"


def check_programmes(programmes: list[str]) -> list[str]:
    """Return programme affiliations (notations of WIGOS table 2-02) checked for form and repeats."""
    seen: list[str] = []
    for notation in programmes:
        if not PROGRAMME_PATTERN.match(notation):
            raise RuleViolation(
                f"'{notation}' is not a programme notation of WIGOS table 2-02 (e.g. GOSGeneral, GBON, "
                "RBON, WHYCOS, nonAffiliated)",
                pointer="#/programmes",
                value=notation,
            )
        if notation in seen:
            raise RuleViolation(f"programme {notation} is listed twice", pointer="#/programmes")
        seen.append(notation)
    return seen


def wigos_place(lon: float, lat: float) -> tuple[str, str]:
    """Return the WMO region and territory of a point already checked to be in the service area."""
    check_location(lon, lat)
    return WMO_REGION_VIET_NAM, TERRITORY_VIET_NAM
