"""Derive the seeded priority zones (Directive 10-CT/TW) from the real data in seed/data, as GeoJSON files.

Run: python -m seed.derive.zones [--coastal-width-km 25] [--typhoon-radius-km 100] [--typhoon-levels 20 40]
Writes seed/data/zones/{islands,coastal,sea,typhoon}.geojson; seed/ZONES.md explains each method.
"""

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from seed.derive.zones_coast import coastal_zones, sea_zones
from seed.derive.zones_common import OUT_DIR, Zone, area_km2, feature, vertex_count
from seed.derive.zones_islands import island_zones
from seed.derive.zones_typhoon import typhoon_zones


def build_groups(
    coastal_width_km: float = 25.0,
    typhoon_radius_km: float = 100.0,
    typhoon_levels: tuple[int, int] = (20, 40),
) -> dict[str, Callable[[], list[Zone]]]:
    """Return the zone groups by output file stem, each as a function that derives its zones."""
    return {
        "islands": island_zones,
        "coastal": lambda: coastal_zones(width_km=coastal_width_km),
        "sea": sea_zones,
        "typhoon": lambda: typhoon_zones(radius_km=typhoon_radius_km, levels=typhoon_levels),
    }


def write_group(zones: list[Zone], path: Path) -> None:
    """Write `zones` to `path` as a GeoJSON FeatureCollection."""
    collection = {"type": "FeatureCollection", "features": [feature(z) for z in zones]}
    path.write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def main() -> None:
    """Derive every zone group, write its file and print one line per zone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--coastal-width-km", type=float, default=25.0)
    parser.add_argument("--typhoon-radius-km", type=float, default=100.0)
    parser.add_argument("--typhoon-levels", type=int, nargs=2, default=[20, 40])
    args = parser.parse_args()
    levels = (args.typhoon_levels[0], args.typhoon_levels[1])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stem, derive in build_groups(args.coastal_width_km, args.typhoon_radius_km, levels).items():
        zones = derive()
        path = OUT_DIR / f"{stem}.geojson"
        write_group(zones, path)
        for z in zones:
            print(
                f"{z.code:28} {z.category:15} {area_km2(z.geometry):>12,.0f} km2 "
                f"{vertex_count(z.geometry):>6} vertices  -> {path.name} ({path.stat().st_size // 1024} KB)"
            )


if __name__ == "__main__":
    main()
