"""Geography of the registry: Viet Nam's service area (land, sea, archipelagos) as shapely geometry."""

import json
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

SERVICE_AREA_FILE = Path(__file__).parent / "geo_data" / "service_area.geojson"
# lon/lat bounds of the service area, for cheap rejection before the polygon test
VIETNAM_BBOX = (100.8, 5.4, 118.0, 23.7)


@lru_cache
def service_area() -> BaseGeometry:
    """Return the service area polygon (see seed/derive/service_area.py for how it is made)."""
    feature = json.loads(SERVICE_AREA_FILE.read_text())
    return shape(feature["geometry"])


@lru_cache
def _prepared_service_area() -> BaseGeometry:
    # a copy of its own, prepared in place (an index of its edges); intersects_xy then needs no Point object
    area = shape(json.loads(SERVICE_AREA_FILE.read_text())["geometry"])
    shapely.prepare(area)
    return area


def in_service_area(lon: float, lat: float) -> bool:
    """Return True when the point lies on Viet Nam's land, sea or archipelagos."""
    min_lon, min_lat, max_lon, max_lat = VIETNAM_BBOX
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        return False
    return bool(shapely.intersects_xy(_prepared_service_area(), lon, lat))
