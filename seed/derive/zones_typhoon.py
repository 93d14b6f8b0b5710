"""Typhoon exposure zones: grid cells passed within R km by many distinct JTWC storms, 1945-2015."""

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from seed.derive.zones_common import DATA, Zone, finish

TRACKS_FILE = "jtwc_besttrack_east_sea_1945_2015.csv"
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQ = 111.32
MAX_GAP_H = 12  # a longer gap between fixes is a track that left and re-entered the file's window
SOURCE_TYPHOON = (
    "JTWC Western North Pacific best tracks 1945-2015 (public domain), distinct storms within R km "
    "per 0.1° cell; derived by seed/derive/zones_typhoon.py"
)
Track = NDArray[np.float64]  # (n, 2) lon, lat


@dataclass(frozen=True)
class Grid:
    """Cell centres of a regular lon/lat grid."""

    lons: NDArray[np.float64]
    lats: NDArray[np.float64]
    step: float


def make_grid(bounds: tuple[float, float, float, float], step: float) -> Grid:
    """Return the grid of `step`-degree cells covering `bounds` (west, south, east, north)."""
    west, south, east, north = bounds
    lons = np.arange(west + step / 2, east, step)
    lats = np.arange(south + step / 2, north, step)
    return Grid(lons=lons, lats=lats, step=step)


def load_tracks(min_vmax_kt: float) -> dict[str, list[Track]]:
    """Return each storm's track pieces (split at gaps over 12 h), keeping fixes of at least `min_vmax_kt`."""
    fixes: dict[str, list[tuple[datetime, float, float]]] = defaultdict(list)
    with (DATA / TRACKS_FILE).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if float(row["VMax"] or 0.0) < min_vmax_kt:
                continue
            when = datetime(int(row["Year"]), int(row["Month"]), int(row["Day"]), int(row["Hour"]))
            fixes[row["SN"]].append((when, float(row["Lon"]), float(row["Lat"])))
    tracks: dict[str, list[Track]] = {}
    for storm, rows in fixes.items():
        rows.sort()
        pieces: list[list[tuple[float, float]]] = [[]]
        for i, (when, lon, lat) in enumerate(rows):
            if i and (when - rows[i - 1][0]).total_seconds() > MAX_GAP_H * 3600:
                pieces.append([])
            pieces[-1].append((lon, lat))
        tracks[storm] = [np.array(p, dtype=np.float64) for p in pieces]
    return tracks


def _segment_hits(grid: Grid, a: Track, b: Track, radius_km: float) -> tuple[slice, slice, NDArray[np.bool_]]:
    """Return the sub-grid around segment a-b and which of its cells lie within `radius_km` of it."""
    lat0 = (a[1] + b[1]) / 2
    kx, ky = KM_PER_DEG_LON_EQ * np.cos(np.radians(lat0)), KM_PER_DEG_LAT
    margin_lon, margin_lat = radius_km / kx + grid.step, radius_km / ky + grid.step
    cols = slice(*np.searchsorted(grid.lons, [min(a[0], b[0]) - margin_lon, max(a[0], b[0]) + margin_lon]))
    rows = slice(*np.searchsorted(grid.lats, [min(a[1], b[1]) - margin_lat, max(a[1], b[1]) + margin_lat]))
    # a local equirectangular plane: under 1 % error over the few hundred km of one segment
    px = (grid.lons[cols][None, :] - a[0]) * kx
    py = (grid.lats[rows][:, None] - a[1]) * ky
    dx, dy = (b[0] - a[0]) * kx, (b[1] - a[1]) * ky
    length2 = dx * dx + dy * dy
    t = np.clip((px * dx + py * dy) / length2, 0.0, 1.0) if length2 > 0 else np.zeros_like(px * py)
    dist = np.hypot(px - t * dx, py - t * dy)
    return rows, cols, dist <= radius_km


def storm_counts(grid: Grid, tracks: dict[str, list[Track]], radius_km: float) -> NDArray[np.int32]:
    """Return, per cell, how many distinct storms passed within `radius_km` of its centre."""
    counts = np.zeros((grid.lats.size, grid.lons.size), dtype=np.int32)
    for pieces in tracks.values():
        hit = np.zeros_like(counts, dtype=np.bool_)
        for track in pieces:
            ends = (
                [(track[0], track[0])] if len(track) == 1 else list(zip(track[:-1], track[1:], strict=True))
            )
            for a, b in ends:
                rows, cols, near = _segment_hits(grid, a, b, radius_km)
                hit[rows, cols] |= near
        counts += hit
    return counts


def cells_area(grid: Grid, mask: NDArray[np.bool_]) -> BaseGeometry:
    """Return the union of the grid cells where `mask` is true."""
    rows, cols = np.nonzero(mask)
    half = grid.step / 2
    x, y = grid.lons[cols], grid.lats[rows]
    boxes = shapely.box(x - half, y - half, x + half, y + half)
    return shapely.union_all(boxes, grid_size=1e-6)


def typhoon_zones(
    radius_km: float = 100.0, step: float = 0.1, min_vmax_kt: float = 34.0, levels: tuple[int, int] = (20, 40)
) -> list[Zone]:
    """Return the high and very high typhoon exposure zones (at least levels[0] / levels[1] storms)."""
    grid = make_grid((100.0, 5.0, 118.5, 24.0), step)
    counts = storm_counts(grid, load_tracks(min_vmax_kt), radius_km)
    high, very_high = (finish(cells_area(grid, counts >= n)) for n in levels)
    return [
        Zone(
            "typhoon-exposure", "Vùng thường xuyên chịu ảnh hưởng của bão", "disaster_prone", "typhoon", 0.8,
            f"{SOURCE_TYPHOON}; level >= {levels[0]} storms", high,
        ),
        Zone(
            "typhoon-exposure-very-high", "Vùng chịu ảnh hưởng của bão rất thường xuyên", "disaster_prone", "typhoon",
            1.0, f"{SOURCE_TYPHOON}; level >= {levels[1]} storms", very_high,
        ),
    ]  # fmt: skip
