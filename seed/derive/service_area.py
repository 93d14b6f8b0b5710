"""Derive the registry's service area (land, sea and archipelagos, minus the neighbours' land) into domain/geo_data.

Method (all inputs in seed/data, see SOURCES.md):
- Land: Viet Nam's land as geoBoundaries draws it (the registry's province layer, whose land border
  puts the border towns on the right side where Natural Earth is off by up to 3 km, e.g. at Mong Cai),
  widened by 300 m for stations on the line, plus Natural Earth's coastal islands of Viet Nam (Cat Ba,
  the Quang Ninh islands, Con Dao..., which geoBoundaries draws differently). Islands neither layer has
  (Tho Chu, Con Co) are sea on Viet Nam's side of the equidistance line.
- Archipelagos: the features of Hoang Sa and Truong Sa as Vietnamese law counts them: the schematic
  geoBoundaries islands, Natural Earth's Spratly Islands unit and the Paracel features Natural Earth
  files under China; Bach Long Vi is Vietnamese (in geoBoundaries; no foreign layer has it).
- Sea: the water closer to Viet Nam's land and islands (archipelago features included, Viet Nam's
  position) than to any neighbour's land (equidistance, computed as the Voronoi cells of points every
  ~1 km along all coasts and borders in a projection true to scale at 14 N), within 200 nautical miles
  of the mainland and coastal islands, or inside the published extents of the archipelagos
  (Hoang Sa 15.5-17.5 N, 110.9-113 E; Truong Sa 6-12 N, 111-117.5 E).
- Minus the neighbours' land (Natural Earth 1:10m admin-0: China with Hainan, Laos, Cambodia,
  Thailand, Malaysia, Brunei, Indonesia, the Philippines, Taiwan, Hong Kong, Macao), except within
  300 m of Viet Nam's land and except the archipelago features above.
Run: python -m seed.derive.service_area
"""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from seed.derive.zones_common import read_geometry

OUT = Path(__file__).resolve().parents[2] / "domain" / "geo_data" / "service_area.geojson"
NEIGHBOURS = "ne10m_admin0_neighbours.geojson"
HOANG_SA = box(110.9, 15.5, 113.0, 17.5)
TRUONG_SA = box(111.0, 6.0, 117.5, 12.0)
BORDER_TOLERANCE = 300 / 111_320  # degrees: stations on the land border line
EEZ_NM = 200
LAT0 = 14.0  # the projection for distances is true to scale at this latitude
SCALE = math.cos(math.radians(LAT0))
STEP = 0.01  # projected degrees (about 1.1 km) between points sampled along coasts and borders
SIMPLIFY = 0.0005  # about 50 m


def _project(geom: BaseGeometry) -> BaseGeometry:
    return affinity.scale(geom, xfact=SCALE, yfact=1.0, origin=(0, 0))


def _unproject(geom: BaseGeometry) -> BaseGeometry:
    return affinity.scale(geom, xfact=1 / SCALE, yfact=1.0, origin=(0, 0))


def _outline_points(geom: BaseGeometry) -> np.ndarray:
    """Return points every STEP along the outline of a (projected) areal geometry."""
    outline = shapely.segmentize(geom.boundary, STEP)
    return shapely.get_coordinates(outline)


def _closer_to_vietnam(vietnam: BaseGeometry, others: BaseGeometry, frame: BaseGeometry) -> BaseGeometry:
    """Return the part of `frame` closer to `vietnam` than to `others` (projected geometries)."""
    ours = _outline_points(vietnam)
    both = np.round(np.vstack([ours, _outline_points(others)]), 7)
    # a point on both outlines (or twice on one) is kept once, labelled by its first occurrence
    points, first = np.unique(both, axis=0, return_index=True)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(points), extend_to=frame, ordered=True))
    mine = cells[first < len(ours)]
    return unary_union(mine).intersection(frame)


def _inputs() -> tuple[BaseGeometry, BaseGeometry, BaseGeometry]:
    """Return (Viet Nam's land, the archipelago features, the neighbours' land) in lon/lat."""
    land = read_geometry("vn_national_boundary_geoboundaries_dissolved.geojson")
    islands = read_geometry(NEIGHBOURS, lambda p: p["role"] == "viet_nam_island")
    features = read_geometry(NEIGHBOURS, lambda p: p["role"] == "archipelago_feature")
    neighbours = read_geometry(NEIGHBOURS, lambda p: p["role"] == "neighbour")
    return unary_union([land, islands]), features, neighbours.difference(features)


def build_area() -> BaseGeometry:
    """Return the service area polygon."""
    vietnam, features, neighbours = _inputs()
    geo_boundaries = read_geometry("vn_national_boundary_geoboundaries_dissolved.geojson")
    mainland_and_coast = vietnam.difference(unary_union([HOANG_SA, TRUONG_SA]))
    ours = unary_union([vietnam, features])
    eez = _project(mainland_and_coast).buffer(EEZ_NM * 1.852 / 111.32)
    frame = unary_union([eez, _project(HOANG_SA), _project(TRUONG_SA)])
    sea = _unproject(_closer_to_vietnam(_project(ours), _project(neighbours), frame))
    within_tolerance = geo_boundaries.buffer(BORDER_TOLERANCE)
    foreign = neighbours.difference(within_tolerance)
    area = unary_union([sea, ours, within_tolerance]).difference(foreign)
    return area.simplify(SIMPLIFY, preserve_topology=True).buffer(0)


def build() -> dict[str, Any]:
    """Return the service area as a GeoJSON Feature."""
    area = shapely.set_precision(build_area(), 1e-5)
    return {
        "type": "Feature",
        "properties": {"name": "Viet Nam service area (land, sea, archipelagos)", "method": __doc__},
        "geometry": mapping(area),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), separators=(",", ":")))
