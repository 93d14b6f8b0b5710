"""Benchmark the service-area check that runs on every station write and import row.

    .venv/bin/python -m bench.bench_service_area [--points 200000]

Times `domain.station.rules.check_location` (bbox pre-check, then the prepared service-area polygon)
per call on three sets of points: uniform over the lon/lat box around Viet Nam (about a third inside),
points within 1 km of the land border (the polygon's densest edges), and points on Viet Nam's land
(the common case). For comparison, the same land points against the unprepared polygon. Median of
5 repeats; no database. Writes the `service area` section of bench/RESULTS.md.
"""

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry import Point

from bench.harness import load_average, machine, replace_section
from domain.errors import InvalidGeometry
from domain.geo import VIETNAM_BBOX, service_area
from domain.station.rules import check_location
from seed.derive.zones_common import land, read_geometry

REPEATS = 5


def _accepts(lon: float, lat: float) -> bool:
    try:
        check_location(lon, lat)
    except InvalidGeometry:
        return False
    return True


def _per_call_us(points: np.ndarray, test: Callable[[float, float], bool]) -> float:
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for x, y in points:
            test(float(x), float(y))
        runs.append((time.perf_counter() - start) / len(points) * 1e6)
    return statistics.median(runs)


def point_sets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Return the named sets of (lon, lat) points."""
    min_lon, min_lat, max_lon, max_lat = VIETNAM_BBOX
    box = np.column_stack([rng.uniform(min_lon, max_lon, n), rng.uniform(min_lat, max_lat, n)])
    neighbours = read_geometry("ne10m_admin0_neighbours.geojson", lambda p: p["role"] == "neighbour")
    border = land().boundary.intersection(neighbours.buffer(0.02))
    line = shapely.get_coordinates(shapely.segmentize(border, 0.002))
    near = line[rng.integers(0, len(line), n)] + rng.normal(0, 0.005, (n, 2))
    shapely.prepare(land())
    on_land = box[shapely.contains_xy(land(), box[:, 0], box[:, 1])]
    return {"uniform over the box": box, "within 1 km of the land border": near, "on land": on_land}


def main() -> None:
    """Time the check and write the results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200_000)
    args = parser.parse_args()
    sets = point_sets(args.points, np.random.default_rng(17))
    check_location(105.85, 21.03)  # load and prepare the polygon once, as the first request does
    rows, timings = [], []
    for name, points in sets.items():
        share = np.mean([_accepts(float(x), float(y)) for x, y in points[:20_000]])
        timings.append(_per_call_us(points, _accepts))
        rows.append(f"| {name} | {len(points):,} | {share:.0%} | {timings[-1]:.2f} |")
    area = service_area()
    raw = sets["on land"][:10_000]
    unprepared = _per_call_us(raw, lambda x, y: bool(area.intersects(Point(x, y))))
    prepared = _per_call_us(raw, _accepts)
    rows.append(
        f"| the first 10,000 on land, unprepared polygon with a Point each | 10,000 | 100% | {unprepared:.2f} |"
    )
    rows.append(f"| the same, `check_location` (prepared, no Point) | 10,000 | 100% | {prepared:.2f} |")
    vertices = int(shapely.get_num_coordinates(area))
    replace_section("service area", _report(machine(), rows, max(timings), vertices))


def _report(facts: dict[str, str], rows: list[str], slowest: float, vertices: int) -> str:
    return f"""
Date: {facts["date"]}. Machine: {facts["cpu"]}, {facts["cores"]} cores, {facts["memory"]} RAM, {facts["os"]},
Python {facts["python"]}. Load average at the end: {load_average()}.

Run with `.venv/bin/python -m bench.bench_service_area`. `check_location` (what every station write and
import row calls) per call, median of {REPEATS} repeats, in one Python thread; the polygon has {vertices:,}
vertices (land + equidistant sea + archipelagos minus the neighbours' land, `seed/derive/service_area.py`).

| points | count | accepted | µs per call |
| --- | --- | --- | --- |
{chr(10).join(rows)}

At the slowest rate measured, 100,000 import rows spend {slowest * 0.1:.1f} s in the check. The machine
is shared (see the load average), so compare rows of this table rather than absolute numbers.
"""


if __name__ == "__main__":
    main()
