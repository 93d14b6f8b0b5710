"""Zone test data: squares of known size, zone Features, geodesic reference values from pyproj."""

import itertools
import math
from typing import Any

from pyproj import Geod
from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.zone.models import PriorityZone, ZoneCreate
from domain.zone.service import create_zone

GEOD = Geod(ellps="WGS84")
_counter = itertools.count(1)
# A 1 x 1 degree square on land south-west of Ha Noi (Hoa Binh, Ha Nam, Ninh Binh).
LAND_SQUARE = (105.0, 20.0, 106.0, 21.0)
# A 1 x 1 degree square in the East Sea off Khanh Hoa and Phu Yen.
SEA_SQUARE = (110.0, 12.0, 111.0, 13.0)
# A square across the coast at Da Nang: land to the west, sea to the east.
COAST_SQUARE = (107.8, 15.6, 108.8, 16.4)


def square(box: tuple[float, float, float, float]) -> dict[str, Any]:
    """Return a GeoJSON Polygon for a lon/lat box, counter-clockwise and closed."""
    w, s, e, n = box
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def geodesic_area_km2(box: tuple[float, float, float, float]) -> float:
    """Return the area of a lon/lat box with geodesic edges on the WGS84 ellipsoid (pyproj)."""
    w, s, e, n = box
    area, _ = GEOD.polygon_area_perimeter([w, e, e, w], [s, s, n, n])
    return abs(area) / 1e6


def move(lon: float, lat: float, azimuth_deg: float, km: float) -> tuple[float, float]:
    """Return the point `km` away from (lon, lat) along a geodesic with this azimuth."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth_deg, km * 1000)
    return lon2, lat2


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the geodesic distance between two lon/lat points."""
    _, _, metres = GEOD.inv(a[0], a[1], b[0], b[1])
    return float(metres) / 1000


def lens_km2(r: float, d: float) -> float:
    """Return the area two circles of radius r at distance d share (planar formula)."""
    if d >= 2 * r:
        return 0.0
    return 2 * r * r * math.acos(d / (2 * r)) - (d / 2) * math.sqrt(4 * r * r - d * d)


def zone_feature(**overrides: Any) -> dict[str, Any]:
    """Return a valid POST /zones body (a Feature); the code comes from a counter."""
    n = next(_counter)
    props = {
        "code": f"test-zone-{n}", "name": f"Vùng thử nghiệm {n}", "category": "coastal", "hazard": None,
        "priority_weight": 1.0, "source": "test",
    }  # fmt: skip
    geometry = overrides.pop("geometry", square(LAND_SQUARE))
    props.update(overrides)
    return {"type": "Feature", "geometry": geometry, "properties": props}


def make_zone(db: Session, **overrides: Any) -> PriorityZone:
    """Create a zone through the service (parts and area included)."""
    return create_zone(db, principal=SYSTEM, data=ZoneCreate.model_validate(zone_feature(**overrides)))
