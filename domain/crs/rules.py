"""Coordinate reference systems the registry speaks (OGC API - Features Part 2), VN-2000 included.

Stored positions are WGS84 longitude/latitude (CRS84). Input in another CRS is turned into CRS84
here, and output out of it, with pyproj (PROJ). Every VN-2000 CRS is defined with the 7-parameter
VN-2000 -> WGS 84 transformation Viet Nam published (Decision 05/2007/QĐ-BTNMT): dX -191.90441429 m,
dY -39.30318279 m, dZ -111.45032835 m, rotations -0.00928836", 0.01975479", -0.00427372"
(coordinate frame convention), scale +0.252906278 ppm. PROJ's `+towgs84` takes rotations in the
position-vector convention, so their signs flip there: this is exactly how the EPSG dataset (and
PostGIS's spatial_ref_sys for EPSG:4756, 3405, 3406, 5896-5899) writes it.

Provincial maps use VN-2000 TM-3 projections: transverse Mercator, 3° zones, scale 0.9999, false
easting 500 km, each province's central meridian as Circular 973/2001/TT-TCĐC (appendix) sets it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pyproj import CRS, Transformer

from domain.errors import InvalidQuery

OGC = "http://www.opengis.net/def/crs/"
CRS84 = OGC + "OGC/1.3/CRS84"
TOWGS84 = "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
VN2000_GEOGRAPHIC = f"+proj=longlat +ellps=WGS84 +towgs84={TOWGS84} +no_defs +type=crs"


def _tm3(meridian: float) -> str:
    return (f"+proj=tmerc +lat_0=0 +lon_0={meridian} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
            f"+towgs84={TOWGS84} +units=m +no_defs +type=crs")  # fmt: skip


def _utm(zone: int) -> str:
    return f"+proj=utm +zone={zone} +ellps=WGS84 +towgs84={TOWGS84} +units=m +no_defs +type=crs"


# Central meridians of the provinces' VN-2000 TM-3 maps (Circular 973/2001/TT-TCĐC, appendix),
# by the province names of the 2001-2025 administrative map the circular lists.
TM3_MERIDIANS: dict[str, float] = {
    "Lai Châu": 103.0, "Điện Biên": 103.0, "Sơn La": 104.0, "Lào Cai": 104.75, "Yên Bái": 104.75,
    "Hà Giang": 105.5, "Tuyên Quang": 106.0, "Phú Thọ": 104.75, "Vĩnh Phúc": 105.0, "Cao Bằng": 105.75,
    "Lạng Sơn": 107.25, "Bắc Kạn": 106.5, "Thái Nguyên": 106.5, "Bắc Giang": 107.0, "Bắc Ninh": 105.5,
    "Quảng Ninh": 107.75, "Hải Phòng": 105.75, "Hải Dương": 105.5, "Hưng Yên": 105.5, "Hà Nội": 105.0,
    "Hòa Bình": 106.0, "Hà Nam": 105.0, "Nam Định": 105.5, "Thái Bình": 105.5, "Ninh Bình": 105.0,
    "Thanh Hóa": 105.0, "Nghệ An": 104.75, "Hà Tĩnh": 105.5, "Quảng Bình": 106.0, "Quảng Trị": 106.25,
    "Thừa Thiên Huế": 107.0, "Đà Nẵng": 107.75, "Quảng Nam": 107.75, "Quảng Ngãi": 108.0,
    "Bình Định": 108.25, "Kon Tum": 107.5, "Gia Lai": 108.5, "Đắk Lắk": 108.5, "Đắk Nông": 108.5,
    "Phú Yên": 108.5, "Khánh Hòa": 108.25, "Ninh Thuận": 108.25, "Bình Thuận": 108.5,
    "Lâm Đồng": 107.75, "Bình Dương": 105.75, "Bình Phước": 106.25, "Đồng Nai": 107.75,
    "Bà Rịa - Vũng Tàu": 107.75, "Tây Ninh": 105.5, "Long An": 105.75, "Tiền Giang": 105.75,
    "Bến Tre": 105.75, "Đồng Tháp": 105.0, "Vĩnh Long": 105.5, "Trà Vinh": 105.5, "An Giang": 104.75,
    "Kiên Giang": 104.5, "Cần Thơ": 105.0, "Hậu Giang": 105.0, "Sóc Trăng": 105.5, "Bạc Liêu": 105.0,
    "Cà Mau": 104.5, "Hồ Chí Minh": 105.75,
}  # fmt: skip


@dataclass(frozen=True)
class Crs:
    """One CRS: its URI, PROJ definition, whether its first axis is latitude/northing, output decimals."""

    uri: str
    title: str
    proj: str
    lat_first: bool
    decimals: int

    @property
    def geographic(self) -> bool:
        """Return True for a latitude/longitude CRS (degrees, given with 7 or more decimals)."""
        return self.decimals >= 7


def _tm3_name(meridian: float) -> str:
    degrees, minutes = int(meridian), round((meridian - int(meridian)) * 60)
    return f"VN-2000-TM3-{degrees}-{minutes:02d}"


def _registry() -> dict[str, Crs]:
    fixed = [
        Crs(CRS84, "WGS 84 longitude/latitude (CRS84)", "OGC:CRS84", False, 7),
        Crs(OGC + "EPSG/0/4326", "WGS 84 (latitude first)", "EPSG:4326", True, 7),
        Crs(OGC + "EPSG/0/3857", "WGS 84 / Pseudo-Mercator", "EPSG:3857", False, 2),
        Crs(OGC + "EPSG/0/4756", "VN-2000 (latitude first)", VN2000_GEOGRAPHIC, True, 8),
        Crs(OGC + "EPSG/0/3405", "VN-2000 / UTM zone 48N", _utm(48), False, 3),
        Crs(OGC + "EPSG/0/3406", "VN-2000 / UTM zone 49N", _utm(49), False, 3),
    ]
    tm3 = [
        Crs(f"urn:hydromet:crs:{_tm3_name(m)}", f"VN-2000 / TM-3, central meridian {_tm3_name(m)[12:]}",
            _tm3(m), False, 3)
        for m in sorted(set(TM3_MERIDIANS.values()))
    ]  # fmt: skip
    return {c.uri: c for c in fixed + tm3}


SUPPORTED: dict[str, Crs] = _registry()
ALIASES = {"EPSG:" + c.uri.rsplit("/", 1)[1]: c.uri for c in SUPPORTED.values() if "/EPSG/" in c.uri} | {
    "CRS84": CRS84, "OGC:CRS84": CRS84, "[OGC:CRS84]": CRS84, "[EPSG:4326]": OGC + "EPSG/0/4326",
}  # fmt: skip


def parse_crs(text: str, parameter: str) -> Crs:
    """Return the CRS a URI (or EPSG:n, or a TM-3 short name) names, or raise InvalidQuery listing them."""
    key = text.strip()
    uri = ALIASES.get(key.upper().replace("[EPSG", "[EPSG"), key)
    found = SUPPORTED.get(uri) or SUPPORTED.get(f"urn:hydromet:crs:{key}")
    if found is None:
        raise InvalidQuery(
            f"{parameter} '{text}' is not a supported CRS", parameter=parameter, allowed=list(SUPPORTED)
        )
    return found


def tm3_for_province(name: str) -> Crs | None:
    """Return the VN-2000 TM-3 CRS of a province (by its Vietnamese name), or None if unknown."""
    meridian = TM3_MERIDIANS.get(name)
    return None if meridian is None else SUPPORTED[f"urn:hydromet:crs:{_tm3_name(meridian)}"]


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True)


Pair = Callable[[list[float], list[float]], tuple[list[float], list[float]]]


def _pair(source: Crs, target: Crs) -> Pair:
    def run(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
        if source.lat_first:
            xs, ys = ys, xs
        if source.proj != target.proj:
            out_x, out_y = _transformer(source.proj, target.proj).transform(xs, ys, errcheck=True)
            xs, ys = list(out_x), list(out_y)
        return (ys, xs) if target.lat_first else (xs, ys)

    return run


def _map_positions(coords: Any, fn: Callable[[float, float], tuple[float, float]]) -> Any:
    if coords and isinstance(coords[0], int | float):
        x, y = fn(coords[0], coords[1])
        return [x, y, *coords[2:]]
    return [_map_positions(c, fn) for c in coords]


def _flat(coords: Any) -> list[list[float]]:
    if coords and isinstance(coords[0], int | float):
        return [coords]
    return [p for c in coords for p in _flat(c)]


def transform_geometry(geometry: dict[str, Any], source: Crs, target: Crs) -> dict[str, Any]:
    """Return a GeoJSON geometry moved from `source` to `target` (axis order and rounding of the target)."""
    if geometry.get("type") == "GeometryCollection":
        parts = [transform_geometry(g, source, target) for g in geometry.get("geometries", [])]
        return {"type": "GeometryCollection", "geometries": parts}
    points = _flat(geometry.get("coordinates", []))
    try:
        xs, ys = _pair(source, target)([p[0] for p in points], [p[1] for p in points])
    except Exception as exc:  # PROJ refuses points outside a projection's domain
        raise InvalidQuery(
            f"coordinates cannot be converted from {source.uri}: {exc}", parameter="crs"
        ) from None
    moved = iter(zip(xs, ys, strict=True))
    d = target.decimals

    def take(_x: float, _y: float) -> tuple[float, float]:
        x, y = next(moved)
        return round(x, d), round(y, d)

    return {"type": geometry["type"], "coordinates": _map_positions(geometry["coordinates"], take)}


def to_crs84(geometry: dict[str, Any], source: Crs) -> dict[str, Any]:
    """Return a geometry given in `source` as CRS84 longitude/latitude."""
    return transform_geometry(geometry, source, SUPPORTED[CRS84])


def bbox_to_crs84(box: tuple[float, float, float, float], source: Crs) -> tuple[float, float, float, float]:
    """Return the CRS84 box that holds a box given in `source` (its axis order), edges densified."""
    a, b, c, d = box
    if source.lat_first:
        a, b, c, d = b, a, d, c
    if source.proj == "OGC:CRS84" or source.proj == "EPSG:4326":
        return a, b, c, d
    w, s, e, n = _transformer(source.proj, "OGC:CRS84").transform_bounds(a, b, c, d, densify_pts=21)
    return float(w), float(s), float(e), float(n)
