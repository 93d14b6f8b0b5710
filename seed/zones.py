"""Seed step for priority zones (seed/data/zones/*.geojson, made as seed/ZONES.md says) and coverage norms."""

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.coverage.models import CoverageNormCreate
from domain.coverage.service import ensure_coverage_norm
from domain.zone.models import ZoneCreate
from domain.zone.service import create_zone, find_zone

DATA = Path(__file__).parent / "data"
ZONE_FILES = ("islands", "coastal", "sea", "typhoon")


def zone_features() -> list[dict[str, Any]]:
    """Return every seeded zone as a GeoJSON Feature, in file order."""
    features: list[dict[str, Any]] = []
    for name in ZONE_FILES:
        path = DATA / "zones" / f"{name}.geojson"
        features += json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def coverage_norms() -> list[CoverageNormCreate]:
    """Return the seeded coverage norms (GBON and WMO-No. 168, each row citing its source)."""
    with (DATA / "coverage_norms.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        CoverageNormCreate.model_validate(
            row
            | {
                "spacing_km": _number(row["spacing_km"]),
                "area_per_station_km2": _number(row["area_per_station_km2"]),
            }
        )
        for row in rows
    ]


def load(session: Session, progress: Callable[[str], None]) -> None:
    """Load the seeded zones and coverage norms that are not there yet; idempotent."""
    added = 0
    for feature in zone_features():
        data = ZoneCreate.model_validate(
            {"type": "Feature", "geometry": feature["geometry"], "properties": feature["properties"]}
        )
        if find_zone(session, zone_id=data.properties.code) is None:
            create_zone(session, principal=SYSTEM, data=data)
            added += 1
            progress(f"zone {data.properties.code} added")
    norms = sum(ensure_coverage_norm(session, data=norm) for norm in coverage_norms())
    session.commit()
    progress(f"zones: {added} added; coverage norms: {norms} added")
