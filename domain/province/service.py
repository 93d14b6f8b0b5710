"""Province use cases: load the reference polygons, list them."""

from typing import Any

from sqlmodel import Session

from domain.db.spatial import from_geojson
from domain.province import queries
from domain.province.models import Province


def load_provinces(session: Session, *, features: list[dict[str, Any]]) -> int:
    """Insert provinces whose code is new (features carry code, name, MultiPolygon); return how many."""
    existing = queries.select_province_codes(session)
    added = 0
    for feature in features:
        props = feature["properties"]
        if props["code"] in existing:
            continue
        session.add(Province(code=props["code"], name=props["name"], geom=from_geojson(feature["geometry"])))
        existing.add(props["code"])
        added += 1
    session.commit()
    return added


# about 500 m: borders stay recognizable at the national and provincial zooms of the web map
MAP_TOLERANCE_DEG = 0.005
MAP_DIGITS = 4


def provinces_map_layer(session: Session) -> str:
    """Return the provinces as a simplified GeoJSON FeatureCollection text for the web map."""
    return queries.select_provinces_geojson(session, tolerance_deg=MAP_TOLERANCE_DEG, digits=MAP_DIGITS)
