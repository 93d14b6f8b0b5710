"""Shared pieces of the zone derivation: inputs, metric buffers, geodesic areas and output cleaning."""

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from domain.geo import service_area

DATA = Path(__file__).resolve().parent.parent / "data"
OUT_DIR = DATA / "zones"
GEOD = Geod(ellps="WGS84")
GRID = 1e-5  # output coordinates are rounded to 5 decimals (about 1 m)
MAX_VERTICES = 9000  # per zone, so a file of two zones stays well under 1 MB
# simplification tolerances in degrees, tried from finest to coarsest until the vertex budget holds
TOLERANCES = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032)


@dataclass(frozen=True)
class Zone:
    """A derived priority zone, ready to be written as a GeoJSON Feature."""

    code: str
    name: str
    category: str
    hazard: str | None
    priority_weight: float
    source: str
    geometry: MultiPolygon


def read_geometry(filename: str, keep: Callable[[dict[str, Any]], bool] | None = None) -> BaseGeometry:
    """Return the union of the features of a GeoJSON file in seed/data, optionally filtered on properties."""
    features = json.loads((DATA / filename).read_text(encoding="utf-8"))["features"]
    chosen = [shape(f["geometry"]) for f in features if keep is None or keep(f["properties"])]
    return unary_union(chosen)


def read_features(filename: str) -> list[dict[str, Any]]:
    """Return the raw features of a GeoJSON file in seed/data."""
    features: list[dict[str, Any]] = json.loads((DATA / filename).read_text(encoding="utf-8"))["features"]
    return features


@lru_cache
def land() -> BaseGeometry:
    """Return Viet Nam's land (geoBoundaries, dissolved, with the schematic archipelago islands)."""
    return read_geometry("vn_national_boundary_geoboundaries_dissolved.geojson")


def isd_stations() -> dict[str, Point]:
    """Return the ISD stations of Viet Nam by USAF code."""
    with (DATA / "isd_history_vietnam_stations.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {r["USAF"]: Point(float(r["LON"]), float(r["LAT"])) for r in rows if r["LAT"] and r["LON"]}


def _transformers(lon_0: float) -> tuple[Transformer, Transformer]:
    crs = f"+proj=tmerc +lat_0=0 +lon_0={lon_0:.1f} +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    return (
        Transformer.from_crs("EPSG:4326", crs, always_xy=True),
        Transformer.from_crs(crs, "EPSG:4326", always_xy=True),
    )


def _apply(transformer: Transformer, geom: BaseGeometry) -> BaseGeometry:
    def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, move)


def metric(geom: BaseGeometry, op: Callable[[BaseGeometry], BaseGeometry]) -> BaseGeometry:
    """Apply `op` to `geom` in a transverse Mercator centred on the geometry's own longitude (metres)."""
    if geom.is_empty:
        return geom
    lon_0 = round(geom.centroid.x * 2) / 2
    forward, back = _transformers(lon_0)
    return _apply(back, op(_apply(forward, geom)))


def buffer_km(geom: BaseGeometry, km: float) -> BaseGeometry:
    """Return `geom` buffered by `km` kilometres (negative shrinks), measured in a local projection."""
    return metric(geom, lambda g: g.buffer(km * 1000.0, quad_segs=16))


def area_km2(geom: BaseGeometry) -> float:
    """Return the geodesic area of `geom` on the WGS84 ellipsoid, in km²."""
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(float(area)) / 1e6


def length_km(geom: BaseGeometry) -> float:
    """Return the geodesic length of `geom` on the WGS84 ellipsoid, in km."""
    return float(GEOD.geometry_length(geom)) / 1e3


def vertex_count(geom: BaseGeometry) -> int:
    """Return the number of coordinates of `geom`."""
    return int(shapely.get_num_coordinates(geom))


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Return the polygonal part of `geom` as a valid MultiPolygon."""
    geom = shapely.make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    polys = [p for g in parts for p in getattr(g, "geoms", [g]) if not p.is_empty]
    return MultiPolygon(polys)


def finish(geom: BaseGeometry, min_part_km2: float = 0.5, max_vertices: int = MAX_VERTICES) -> MultiPolygon:
    """Return `geom` clipped to the service area, simplified, snapped to 5 decimals, as a valid MultiPolygon."""
    geom = as_multipolygon(geom.intersection(service_area()))
    geom = MultiPolygon([p for p in geom.geoms if area_km2(p) >= min_part_km2])
    out = geom
    for tolerance in TOLERANCES:
        out = as_multipolygon(shapely.set_precision(geom.simplify(tolerance, preserve_topology=True), GRID))
        if vertex_count(out) <= max_vertices:
            break
    # simplifying may push an edge past a narrow part of the service area (the land border): clip again
    out = as_multipolygon(shapely.set_precision(out.intersection(service_area()), GRID))
    if not out.is_valid or out.is_empty:
        raise ValueError("zone geometry is empty or invalid after simplification")
    return out


def feature(zone: Zone) -> dict[str, Any]:
    """Return `zone` as a GeoJSON Feature with coordinates rounded to 5 decimals."""
    geometry = mapping(zone.geometry)
    coords = [
        [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in poly] for poly in geometry["coordinates"]
    ]
    properties = {
        "code": zone.code,
        "name": zone.name,
        "category": zone.category,
        "hazard": zone.hazard,
        "priority_weight": zone.priority_weight,
        "source": zone.source,
    }
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "MultiPolygon", "coordinates": coords},
    }
