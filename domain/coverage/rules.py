"""Pure coverage rules: default radii, what a norm asks of a zone, and greedy site proposals."""

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from domain.errors import InvalidQuery, RuleViolation

# Radius a station of each type is taken to represent when a request names none. GBON spacing
# halves for synoptic (200 km) and marine (500 km); rain gauges 10 km (convective rain decorrelates
# within tens of km); radar 200 km (C-band quantitative range); others by the same reasoning.
DEFAULT_RADIUS_KM: dict[str, float] = {
    "synoptic": 100.0, "climatological": 50.0, "agrometeorological": 50.0, "hydrological": 25.0,
    "rain_gauge": 10.0, "marine": 250.0, "upper_air": 250.0, "radar": 200.0, "lightning": 150.0,
    "aeronautical": 25.0, "other": 10.0,
}  # fmt: skip
MARINE_TYPES = frozenset({"marine"})
MIN_RADIUS_KM = 0.1  # the least a station stands for: its own 100 m
MAX_RADIUS_KM = 1000.0
MAX_PROPOSALS = 50
BUFFER_QUAD_SEGS = 16  # 64-gon: its area is 0.16% below the true circle's
MAX_GRID_CANDIDATES = 3000
MAX_PIECE_CANDIDATES = 2000
MIN_MEASURED_KM2 = 1.0
# What a coverage norm may ask: from a dense urban rain-gauge network (one per 100 m) to one station
# per 2000 km, four times GBON's 500 km over sea. The database checks the same ranges.
SPACING_RANGE_KM = (0.1, 2000.0)
AREA_PER_STATION_RANGE_KM2 = (0.01, 4_000_000.0)  # the squares of the spacings
MIN_REGION_M2 = 1000.0  # smaller bits of land or sea are slivers of floating-point overlay


def radius_for(station_type: str, radius_km: float | None) -> float:
    """Return the radius to use (the type's default when none is given), or raise InvalidQuery."""
    if radius_km is None:
        return DEFAULT_RADIUS_KM.get(station_type, 10.0)
    if not MIN_RADIUS_KM <= radius_km <= MAX_RADIUS_KM:
        raise InvalidQuery(
            f"radius_km must be in [{MIN_RADIUS_KM:g}, {MAX_RADIUS_KM:g}], got {radius_km:g}",
            parameter="radius_km",
        )
    return radius_km


def check_count(count: int) -> int:
    """Return the number of proposals asked for, or raise InvalidQuery."""
    if not 1 <= count <= MAX_PROPOSALS:
        raise InvalidQuery(f"count must be between 1 and {MAX_PROPOSALS}, got {count}", parameter="count")
    return count


def statuses(include_planned: bool) -> list[str]:
    """Return the station statuses that count: operational, and planned when testing a scenario."""
    return ["operational", "planned"] if include_planned else ["operational"]


def is_marine(station_type: str) -> bool:
    """Return True for station types proposed at sea rather than on land."""
    return station_type in MARINE_TYPES


def check_measure(
    spacing_km: float | None, area_per_station_km2: float | None, *, partial: bool = False
) -> None:
    """Raise unless a norm gives exactly one of spacing_km and area_per_station_km2 (at most one in a change)."""
    if spacing_km is not None and area_per_station_km2 is not None:
        raise RuleViolation(
            "give spacing_km or area_per_station_km2, not both", pointer="#/area_per_station_km2"
        )
    if not partial and spacing_km is None and area_per_station_km2 is None:
        raise RuleViolation("a norm needs spacing_km or area_per_station_km2", pointer="#/spacing_km")


def area_per_station(spacing_km: float | None, area_per_station_km2: float | None) -> float:
    """Return km² per station: a spacing of d km means one station per d x d km grid box.

    Total for any stored value: one outside AREA_PER_STATION_RANGE_KM2 (stored before the ranges
    were checked, or written around the API) counts as the nearest legal value, and a norm with no
    usable measure (none, NaN) as the loosest one, so a read never fails on what a norm holds.
    """
    if area_per_station_km2 is not None:
        return _legal_area(area_per_station_km2)
    if spacing_km is not None and math.isfinite(spacing_km):
        return _legal_area(min(max(spacing_km, SPACING_RANGE_KM[0]), SPACING_RANGE_KM[1]) ** 2)
    return AREA_PER_STATION_RANGE_KM2[1]


def _legal_area(value: float) -> float:
    low, high = AREA_PER_STATION_RANGE_KM2
    return high if math.isnan(value) else min(max(value, low), high)


def required_stations(area_km2: float, per_station_km2: float) -> int:
    """Return how many stations an area needs: ceil(area / area per station), at least one.

    Areas under MIN_MEASURED_KM2 are slivers where two boundary sources disagree and need none.
    """
    if not area_km2 >= MIN_MEASURED_KM2 or not math.isfinite(area_km2):
        return 0
    return max(1, math.ceil(area_km2 / _legal_area(per_station_km2) - 1e-9))


@dataclass
class Piece:
    """Part of a zone's uncovered area, in metres of the equal-area projection, with its zone's weight."""

    zone: str
    weight: float
    geom: BaseGeometry


def uncovered_part(
    wkb: bytes, xs: Sequence[float], ys: Sequence[float], radius_m: float
) -> tuple[BaseGeometry, BaseGeometry]:
    """Return (part, what of it lies farther than the radius from every station), in projected metres.

    Disks are subtracted one by one, and only when they still reach what is left: in a dense network
    the part is used up after a few dozen disks and the rest cost a bounding-box test each.
    """
    part = shapely.from_wkb(wkb)
    left = part
    for x, y in zip(xs, ys, strict=True):
        if left.is_empty:
            break
        minx, miny, maxx, maxy = left.bounds
        if x + radius_m < minx or x - radius_m > maxx or y + radius_m < miny or y - radius_m > maxy:
            continue
        station = Point(x, y)
        if left.distance(station) < radius_m:
            left = left.difference(station.buffer(radius_m, quad_segs=BUFFER_QUAD_SEGS))
    return part, left


def area_m2(geoms: Sequence[BaseGeometry]) -> float:
    """Return the summed area of projected geometries, in m²."""
    return float(sum(g.area for g in geoms))


def union_wkb(geoms: Sequence[BaseGeometry]) -> bytes:
    """Return the union of projected geometries as WKB (pieces of neighbouring parts merge)."""
    merged = shapely.union_all([g for g in geoms if not g.is_empty])
    return bytes(shapely.to_wkb(merged))


def total_area_km2(pieces: Sequence[Piece]) -> float:
    """Return the summed area of pieces in km² (overlapping zones count once each)."""
    return round(sum(p.geom.area for p in pieces) / 1e6, 3)


@dataclass(frozen=True)
class Site:
    """A chosen candidate and what it newly covers."""

    candidate: int
    added_m2: float
    weighted_m2: float
    zones: tuple[str, ...]


def polygons_from_wkb(wkbs: Sequence[bytes]) -> list[BaseGeometry]:
    """Return geometries from the database's WKB."""
    return [shapely.from_wkb(w) for w in wkbs]


def candidate_regions(
    pieces: Sequence[Piece], land: Sequence[BaseGeometry], *, marine: bool
) -> list[BaseGeometry]:
    """Return where a site may go: the uncovered pieces on land, or off land for marine types.

    Land is subtracted polygon by polygon (never `piece - (piece & land)`, whose coincident edges leave
    slivers on land), and parts smaller than MIN_REGION_M2 are dropped.
    """
    tree = STRtree(land)
    regions = []
    for piece in pieces:
        near = [land[int(i)] for i in tree.query(piece.geom)]
        if marine:
            region = piece.geom
            for polygon in near:
                region = region.difference(polygon)
        else:
            region = shapely.union_all([piece.geom.intersection(g) for g in near])
        regions += [g for g in shapely.get_parts(region) if g.area >= MIN_REGION_M2]
    return regions


def _grid(parts: Sequence[BaseGeometry], step: float) -> list[tuple[float, float]]:
    """Return the cell centres of a global grid of this step that fall in the parts' bounding boxes."""
    cells: set[tuple[int, int]] = set()
    for minx, miny, maxx, maxy in (g.bounds for g in parts):
        i0, i1 = math.floor(minx / step - 0.5), math.floor(maxx / step - 0.5)
        j0, j1 = math.floor(miny / step - 0.5), math.floor(maxy / step - 0.5)
        cells.update((i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1))
    return [((i + 0.5) * step, (j + 0.5) * step) for i, j in sorted(cells)]


def candidate_points(regions: Sequence[BaseGeometry], radius_m: float) -> list[tuple[float, float]]:
    """Return candidate sites: a square grid over the regions plus a point inside each separate part.

    The grid step is a quarter of the radius, coarsened to keep at most MAX_GRID_CANDIDATES points; the
    per-part points make sure a small island or a narrow gap the grid misses still gets a candidate.
    """
    parts = [g for g in shapely.get_parts(list(regions)) if g.area > 0] if regions else []
    if not parts:
        return []
    step = max(radius_m / 4, math.sqrt(sum(g.area for g in parts) / MAX_GRID_CANDIDATES))
    grid = _grid(parts, step)
    points = shapely.points(grid)
    chosen = sorted({int(i) for i in STRtree(points).query(parts, predicate="contains")[1]})
    # Parts farther than a step from every grid candidate (a small island) get one of their own.
    near = STRtree(points[chosen]).query(parts, predicate="dwithin", distance=step)[0] if chosen else []
    far = set(range(len(parts))) - {int(i) for i in near}
    largest = sorted((parts[i] for i in far), key=lambda g: g.area, reverse=True)[:MAX_PIECE_CANDIDATES]
    extra = [(pt.x, pt.y) for pt in (g.representative_point() for g in largest)]
    return sorted({grid[i] for i in chosen} | set(extra))


class _Coverage:
    """The uncovered pieces, shrinking as sites are chosen."""

    def __init__(self, pieces: Sequence[Piece], radius_m: float) -> None:
        self.tree = STRtree([p.geom for p in pieces])  # envelopes stay valid: pieces only shrink
        self.current = self.tree.geometries.copy()
        self.weights = [p.weight for p in pieces]
        self.zones = [p.zone for p in pieces]
        self.radius_m = radius_m

    def _overlaps(self, disks: Any) -> tuple[list[int], list[int], list[float]]:
        """Return (disk, piece, area of their intersection) for every overlapping pair."""
        disk_index, piece_index = self.tree.query(disks)
        mine, theirs = disks[disk_index], self.current[piece_index]
        shapely.prepare(mine)
        # A piece inside the disk needs no overlay: its own area is the intersection's.
        inside = shapely.contains_properly(mine, theirs)
        areas = shapely.area(theirs)
        partial = ~inside
        areas[partial] = shapely.area(shapely.intersection(mine[partial], theirs[partial]))
        return disk_index.tolist(), piece_index.tolist(), areas.tolist()

    def gains(self, candidates: Sequence[tuple[float, float]]) -> list[float]:
        """Return each candidate's priority-weighted gain (GEOS loops in C, not in Python)."""
        gains = [0.0] * len(candidates)
        if candidates:
            disks = shapely.buffer(
                shapely.points(list(candidates)), self.radius_m, quad_segs=BUFFER_QUAD_SEGS
            )
            for d, p, area in zip(*self._overlaps(disks), strict=True):
                gains[d] += self.weights[p] * area
        return gains

    def take(self, xy: tuple[float, float]) -> tuple[float, float, tuple[str, ...]]:
        """Cover a disk; return (area newly covered, weighted area, zones it touches)."""
        disk = Point(xy).buffer(self.radius_m, quad_segs=BUFFER_QUAD_SEGS)
        hits, weighted, zones = [], 0.0, set()
        for i in self.tree.query(disk).tolist():
            part = self.current[i].intersection(disk)
            if part.area > 0:
                hits.append(part)
                weighted += self.weights[i] * part.area
                zones.add(self.zones[i])
                self.current[i] = self.current[i].difference(disk)
        added = shapely.union_all(hits).area if hits else 0.0
        return added, weighted, tuple(sorted(zones))


def greedy_sites(
    pieces: Sequence[Piece], candidates: Sequence[tuple[float, float]], radius_m: float, count: int
) -> list[Site]:
    """Return up to `count` candidates, each adding the most priority-weighted uncovered area.

    Lazy greedy: coverage gain is submodular, so a stale gain bounds the fresh one from above.
    """
    coverage = _Coverage(pieces, radius_m)
    heap = [(-gain, i, 0) for i, gain in enumerate(coverage.gains(candidates))]
    heapq.heapify(heap)
    sites: list[Site] = []
    while heap and len(sites) < count:
        stale, i, round_ = heapq.heappop(heap)
        if -stale <= 0:
            break
        if round_ != len(sites):
            heapq.heappush(heap, (-coverage.gains([candidates[i]])[0], i, len(sites)))
            continue
        added, weighted, zones = coverage.take(candidates[i])
        sites.append(Site(candidate=i, added_m2=added, weighted_m2=weighted, zones=zones))
    return sites
