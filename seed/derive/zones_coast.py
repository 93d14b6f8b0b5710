"""Coastal and sea zones: the coastal strip, the coastal provinces and the three seas near Viet Nam."""

from functools import lru_cache

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from seed.derive.zones_common import (
    Zone,
    area_km2,
    buffer_km,
    finish,
    land,
    length_km,
    metric,
    read_features,
    read_geometry,
)
from seed.derive.zones_islands import HOANG_SA_FEATURES, TRUONG_SA_FEATURES, feature_points

COAST_FILE = "ne10m_vietnam_coastline.geojson"
SEA_FILE = "ne10m_marine_polys_east_sea.geojson"
PROVINCES_FILE = "geoboundaries_vnm_adm1.geojson"
SEAS = {  # Natural Earth name -> (code, Vietnamese name, priority weight)
    "South China Sea": ("sea-east-sea", "Biển Đông", 0.7),
    "Gulf of Tonkin": ("sea-gulf-of-tonkin", "Vịnh Bắc Bộ", 0.7),
    "Gulf of Thailand": ("sea-gulf-of-thailand", "Vịnh Thái Lan", 0.7),
}
SOURCE_STRIP = (
    "Natural Earth 1:10m coastline of Viet Nam and marine polygons, geoBoundaries VNM land "
    "(public domain); derived by seed/derive/zones_coast.py"
)
SOURCE_PROVINCES = (
    "geoBoundaries VNM ADM1 (public domain) and Natural Earth 1:10m coastline; seed/derive/zones_coast.py"
)
SOURCE_SEA = "Natural Earth 1:10m geography_marine_polys (public domain), clipped; seed/derive/zones_coast.py"


@lru_cache
def open_coastline(estuary_trim_km: float = 5.0) -> BaseGeometry:
    """Return the Natural Earth coastline without the river banks lying deeper than `estuary_trim_km` inland."""
    coast = read_geometry(COAST_FILE, lambda p: p["kind"] == "coastline")
    return coast.difference(buffer_km(land(), -estuary_trim_km))


def foreign_land(area: BaseGeometry, opening_km: float = 3.0, min_km2: float = 50.0) -> BaseGeometry:
    """Return the parts of `area` that are neither Viet Nam's land nor sea: the neighbours' land.

    The gaps between the generalised sea polygons and the coast are thin slivers; a morphological
    opening by `opening_km` removes them and keeps the solid blobs of Chinese and Cambodian land.
    """
    other = area.difference(land()).difference(read_geometry(SEA_FILE))
    opened = metric(other, lambda g: g.buffer(-opening_km * 1000.0).buffer(opening_km * 1000.0))
    blobs = [p for p in getattr(opened, "geoms", [opened]) if area_km2(p) >= min_km2]
    return unary_union(blobs).intersection(other)


def coastal_strip_area(width_km: float = 25.0, estuary_trim_km: float = 5.0) -> BaseGeometry:
    """Return land and sea within `width_km` of the open coastline, without the neighbours' land."""
    strip = buffer_km(open_coastline(estuary_trim_km), width_km)
    return strip.difference(foreign_land(strip))


def coastal_province_names(min_coast_km: float = 5.0, estuary_trim_km: float = 5.0) -> list[str]:
    """Return the provinces with at least `min_coast_km` of open coastline within 2 km of their outline."""
    coast = open_coastline(estuary_trim_km)
    names = []
    for f in read_features(PROVINCES_FILE):
        near = coast.intersection(buffer_km(shape(f["geometry"]), 2.0))
        if length_km(near) >= min_coast_km:
            names.append(str(f["properties"]["shapeName"]))
    return names


def coastal_provinces_area(names: list[str]) -> BaseGeometry:
    """Return the union of the named provinces."""
    return read_geometry(PROVINCES_FILE, lambda p: p["shapeName"] in names)


def sea_areas(reach_km: float = 370.0) -> dict[str, BaseGeometry]:
    """Return each Natural Earth sea within `reach_km` of Viet Nam's land and archipelagos, by NE name."""
    base = unary_union(
        [land().simplify(0.01), feature_points(HOANG_SA_FEATURES), feature_points(TRUONG_SA_FEATURES)]
    )
    reach = buffer_km(base, reach_km)
    seas = {f["properties"]["name"]: shape(f["geometry"]) for f in read_features(SEA_FILE)}
    return {name: geom.intersection(reach).difference(land()) for name, geom in seas.items()}


def coastal_zones(width_km: float = 25.0, estuary_trim_km: float = 5.0) -> list[Zone]:
    """Return the coastal strip and the coastal provinces."""
    strip = coastal_strip_area(width_km, estuary_trim_km)
    provinces = coastal_provinces_area(coastal_province_names(estuary_trim_km=estuary_trim_km))
    return [
        Zone("coastal-strip", "Dải ven biển", "coastal", None, 0.8, SOURCE_STRIP, finish(strip)),
        Zone(
            "coastal-provinces",
            "Các tỉnh ven biển",
            "coastal",
            None,
            0.6,
            SOURCE_PROVINCES,
            finish(provinces),
        ),
    ]


def sea_zones(reach_km: float = 370.0) -> list[Zone]:
    """Return the East Sea, the Gulf of Tonkin and the Gulf of Thailand near Viet Nam."""
    zones = []
    for ne_name, geom in sea_areas(reach_km).items():
        code, name, weight = SEAS[ne_name]
        zones.append(Zone(code, name, "sea", None, weight, SOURCE_SEA, finish(geom)))
    return zones
