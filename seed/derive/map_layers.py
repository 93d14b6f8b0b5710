"""Derive the web map's base layers (coastline, seas) into api/web/data, simplified for the browser.

Method: the Natural Earth coastline and land border of seed/data simplified with a tolerance of
0.002 degrees (about 200 m, invisible at the national zoom), coordinates rounded to 5 decimals;
the East Sea, Gulf of Tonkin and Gulf of Thailand clipped to 99-121 E, 3-24 N and simplified with
0.01 degrees, named in Vietnamese and English, plus label points for the Hoang Sa and Truong Sa
archipelagos (their island polygons are part of the provinces layer).
Run: python -m seed.derive.map_layers
"""

import json
from pathlib import Path
from typing import Any

from shapely import set_precision
from shapely.geometry import box, mapping, shape

DATA = Path(__file__).resolve().parent.parent / "data"
OUT = Path(__file__).resolve().parents[2] / "api" / "web" / "data"
CLIP = box(99.0, 3.0, 121.0, 24.0)
# Vietnamese and English names, and where the map writes them
SEA_NAMES = {
    "South China Sea": ("Biển Đông", "East Sea", [113.6, 13.6]),
    "Gulf of Tonkin": ("Vịnh Bắc Bộ", "Gulf of Tonkin", [107.4, 20.1]),
    "Gulf of Thailand": ("Vịnh Thái Lan", "Gulf of Thailand", [102.4, 10.2]),
}
ARCHIPELAGOS = [
    ("Quần đảo Hoàng Sa", "Hoang Sa (Paracel) Islands", 111.9, 16.45),
    ("Quần đảo Trường Sa", "Truong Sa (Spratly) Islands", 114.0, 9.9),
]


def _geometry(geom: Any, tolerance: float) -> dict[str, Any]:
    simple = set_precision(geom.simplify(tolerance, preserve_topology=True), 1e-5)
    return dict(mapping(simple))


def coastline() -> dict[str, Any]:
    """Return the coastline and land border as a simplified FeatureCollection."""
    raw = json.loads((DATA / "ne10m_vietnam_coastline.geojson").read_text())
    features = [
        {
            "type": "Feature",
            "properties": {"kind": f["properties"]["kind"]},
            "geometry": _geometry(shape(f["geometry"]), 0.002),
        }
        for f in raw["features"]
    ]
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m (public domain)",
        "features": features,
    }


def seas() -> dict[str, Any]:
    """Return the seas (clipped, simplified, named) and archipelago labels as a FeatureCollection."""
    raw = json.loads((DATA / "ne10m_marine_polys_east_sea.geojson").read_text())
    features = []
    for f in raw["features"]:
        name_vi, name_en, label = SEA_NAMES[f["properties"]["name"]]
        geom = shape(f["geometry"]).buffer(0).intersection(CLIP)
        props = {"kind": f["properties"]["category"], "name_vi": name_vi, "name_en": name_en, "label": label}
        features.append({"type": "Feature", "properties": props, "geometry": _geometry(geom, 0.01)})
    for name_vi, name_en, lon, lat in ARCHIPELAGOS:
        props = {"kind": "archipelago", "name_vi": name_vi, "name_en": name_en}
        features.append(
            {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        )
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m (public domain)",
        "features": features,
    }


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in (("coastline", coastline), ("seas", seas)):
        text = json.dumps(build(), ensure_ascii=False, separators=(",", ":"))
        (OUT / f"{name}.geojson").write_text(text, encoding="utf-8")
        print(f"{name}.geojson: {len(text.encode())} bytes")
