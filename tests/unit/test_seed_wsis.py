"""Seed fidelity: an ISD station keeps a WMO WSI only where WMO's own list puts that index within 5 km."""

import pytest

from seed.stations import checked_wsis, distance_m, isd_stations, wmo_positions


def test_wmo_volume_a_lists_28_stations_of_viet_nam_read_in_degrees_minutes_seconds() -> None:
    wmo = wmo_positions()
    assert len(wmo) == 28
    assert wmo["48820"] == pytest.approx((105.8, 21.0333), abs=1e-4)  # HA NOI, 21 02 00N 105 48 00E
    assert wmo["48838"] == pytest.approx((107.9669, 21.5169), abs=1e-4)  # MONG CAI, 21 31 01N 107 58 01E


def test_every_seeded_wsi_agrees_within_5_km_with_wmos_list() -> None:
    seeded = [s.data for s in isd_stations()[0] if s.data.wigos_ids]
    assert len(seeded) == 24
    for station in seeded:
        index = station.wigos_ids[0].rsplit("-", 1)[1]
        position = (float(station.location.coordinates[0]), float(station.location.coordinates[1]))
        assert distance_m(wmo_positions()[index], position) <= 5000, station.national_code


@pytest.mark.parametrize(
    ("usaf", "position", "expected"),
    [
        ("488200", (105.807, 21.221), []),  # Noi Bai airport, 21 km from WMO 48820 (Ha Noi/Lang)
        ("488190", (105.833, 21.033), []),  # 48819 is in no WMO list
        ("488770", (109.2, 12.25), ["0-20000-0-48877"]),  # Nha Trang, 4.1 km: kept
        ("488561", (108.25, 16.033), []),  # not a WMO index (ends in 1)
    ],
)
def test_checked_wsis_keeps_only_what_wmo_confirms(
    usaf: str, position: tuple[float, float], expected: list[str]
) -> None:
    assert checked_wsis(usaf, position) == expected
