"""Coverage rules are total: any stored measure gives a number of stations, never an exception."""

import math

import pytest

from domain.coverage.rules import AREA_PER_STATION_RANGE_KM2, area_per_station, required_stations

LOW, HIGH = AREA_PER_STATION_RANGE_KM2


@pytest.mark.parametrize(
    ("spacing", "area", "expected"),
    [
        (1e-200, None, LOW), (0.0, None, LOW), (-5.0, None, LOW), (math.nan, None, HIGH), (math.inf, None, HIGH),
        (None, 0.0, LOW), (None, -1.0, LOW), (None, math.nan, HIGH), (None, math.inf, HIGH), (None, None, HIGH),
        (200.0, None, 40_000.0), (None, 900.0, 900.0),
    ],
)  # fmt: skip
def test_area_per_station_is_a_legal_value_for_any_stored_measure(
    spacing: float | None, area: float | None, expected: float
) -> None:
    assert area_per_station(spacing, area) == pytest.approx(expected)


@pytest.mark.parametrize("per_station", [0.0, -1.0, 1e-300, math.nan, math.inf])
def test_required_stations_never_divides_by_zero(per_station: float) -> None:
    assert isinstance(required_stations(1000.0, per_station), int)
    assert required_stations(math.nan, per_station) == 0
