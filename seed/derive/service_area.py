"""Derive the registry's service area (land, sea and archipelagos) into domain/geo_data.

Method: Viet Nam's land (geoBoundaries, dissolved, which includes the schematic Hoang Sa and
Truong Sa islands) buffered by 0.25 degrees (about 27 km, for border and coastal stations and the
schematic island positions), plus the Natural Earth East Sea, Gulf of Tonkin and Gulf of Thailand
polygons clipped to 3 degrees (about 330 km, near the 200 nautical mile EEZ) around that land, plus
the published extents of the two archipelagos (Hoang Sa 15.5-17.5 N, 110.9-113 E; Truong Sa
6-12 N, 111-117.5 E), which also takes in Truong Sa Lon, missing from the source polygons.
Run: python -m seed.derive.service_area
"""

import json
from pathlib import Path

from shapely.geometry import box, mapping, shape
from shapely.ops import unary_union

DATA = Path(__file__).resolve().parent.parent / "data"
OUT = Path(__file__).resolve().parents[2] / "domain" / "geo_data" / "service_area.geojson"

HOANG_SA = box(110.9, 15.5, 113.0, 17.5)
TRUONG_SA = box(111.0, 6.0, 117.5, 12.0)


def build() -> dict[str, object]:
    """Return the service area as a GeoJSON Feature."""
    land_fc = json.loads((DATA / "vn_national_boundary_geoboundaries_dissolved.geojson").read_text())
    land = unary_union([shape(f["geometry"]) for f in land_fc["features"]])
    seas_fc = json.loads((DATA / "ne10m_marine_polys_east_sea.geojson").read_text())
    seas = unary_union([shape(f["geometry"]) for f in seas_fc["features"]])
    area = unary_union([land.buffer(0.25), seas.intersection(land.buffer(3.0)), HOANG_SA, TRUONG_SA])
    area = area.simplify(0.01, preserve_topology=True).buffer(0)
    return {
        "type": "Feature",
        "properties": {"name": "Viet Nam service area (land, sea, archipelagos)", "method": __doc__},
        "geometry": mapping(area),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), separators=(",", ":")))
