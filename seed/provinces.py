"""Provinces from geoBoundaries ADM1: 63, with Côn Đảo merged into Bà Rịa - Vũng Tàu (same ISO code)."""

import json
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.multipolygon import MultiPolygon
from shapely.ops import unary_union

DATA = Path(__file__).parent / "data"


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])  # type: ignore[list-item]


def province_features() -> list[dict[str, Any]]:
    """Return one feature per ISO code: {"code", "name"} and a MultiPolygon."""
    raw = json.loads((DATA / "geoboundaries_vnm_adm1.geojson").read_text())
    by_code: dict[str, list[dict[str, Any]]] = {}
    for feature in raw["features"]:
        by_code.setdefault(feature["properties"]["shapeISO"], []).append(feature)
    out = []
    for code, features in sorted(by_code.items()):
        # Côn Đảo is a separate feature with Bà Rịa - Vũng Tàu's code: keep the larger one's name
        features.sort(key=lambda f: -shape(f["geometry"]).area)
        geom = unary_union([shape(f["geometry"]).buffer(0) for f in features])
        name = features[0]["properties"]["shapeName"]
        out.append({"properties": {"code": code, "name": name}, "geometry": mapping(_as_multipolygon(geom))})
    return out
