"""Province SQL: the simplified provinces layer, built as GeoJSON in the database."""

from sqlalchemy import select, text
from sqlmodel import Session

from domain.province.models import Province

PROVINCES_GEOJSON = text(
    """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'id', code,
            'properties', json_build_object('code', code, 'name', name),
            'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :tolerance), :digits)::json
        ) ORDER BY code), '[]'::json)
    )::text
    FROM province
    """
)


def select_provinces_geojson(session: Session, *, tolerance_deg: float, digits: int) -> str:
    """Return every province, simplified by `tolerance_deg`, as one GeoJSON FeatureCollection text."""
    params = {"tolerance": tolerance_deg, "digits": digits}
    return str(session.execute(PROVINCES_GEOJSON, params).scalar_one())


def select_province_codes(session: Session) -> set[str]:
    """Return the codes of the provinces already loaded."""
    return set(session.scalars(select(Province.code)))  # type: ignore[call-overload]
