"""Pure station rules: WIGOS identifiers, text folding, the service area, diffs, archipelagos."""

import pytest

from domain.errors import InvalidGeometry, RuleViolation
from domain.station.rules import (
    MalformedWigosId,
    PointOutsideServiceArea,
    archipelago_province,
    changed_fields,
    check_location,
    check_wigos_ids,
    fold,
    search_text,
    validate_wsi,
)


@pytest.mark.parametrize(
    "wsi",
    ["0-704-1-QB014", "0-20000-0-48820", "0-0-0-1", "0-65534-65534-ABCDEFGHIJKLMNOP", "0-704-2024-hn01"],
)
def test_validate_wsi_accepts_well_formed_identifiers(wsi: str) -> None:
    assert validate_wsi(wsi) == wsi


@pytest.mark.parametrize(
    "wsi",
    [
        "1-704-1-QB014",  # series must be 0
        "0-65535-0-X",  # issuer over 65534
        "0-704-65535-X",  # issue number over 65534
        "0-704-1-",  # empty local id
        "0-704-1-ABCDEFGHIJKLMNOPQ",  # local id of 17 characters
        "0-704-1-QB 14",  # space in the local id
        "0-7a4-1-QB014",  # issuer not a number
        "0704-1-QB014",
        "",
        "0-704-1-QB014-2",
    ],
)
def test_validate_wsi_rejects_malformed_identifiers(wsi: str) -> None:
    with pytest.raises(MalformedWigosId) as caught:
        validate_wsi(wsi)
    assert caught.value.code == "malformed-wigos-id"
    assert caught.value.extra["value"] == wsi


def test_check_wigos_ids_keeps_order_with_the_primary_first() -> None:
    assert check_wigos_ids(["0-704-1-B", "0-20000-0-48820"]) == ["0-704-1-B", "0-20000-0-48820"]
    assert check_wigos_ids([]) == []


def test_check_wigos_ids_refuses_an_identifier_listed_twice() -> None:
    with pytest.raises(RuleViolation, match="listed twice") as caught:
        check_wigos_ids(["0-704-1-A", "0-704-1-A"])
    assert caught.value.extra["pointer"] == "#/wigos_ids"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đồng Hới", "dong hoi"),
        ("ĐÀ NẴNG", "da nang"),
        ("Trạm đo mưa Hà Nội", "tram do mua ha noi"),
        ("Thừa Thiên Huế", "thua thien hue"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_removes_diacritics_and_case(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_search_text_covers_name_and_national_code() -> None:
    assert search_text("Trạm Đồng Hới", "QB-RG-014") == "tram dong hoi qb-rg-014"


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (105.85, 21.03),  # Hà Nội
        (106.70, 10.78),  # TP. Hồ Chí Minh
        (108.6, 16.2),  # the sea off Đà Nẵng
        (107.73, 20.13),  # Bạch Long Vĩ
        (111.92, 8.64),  # Trường Sa
        (112.33, 16.83),  # Hoàng Sa
    ],
)
def test_check_location_accepts_land_sea_and_archipelagos(lon: float, lat: float) -> None:
    check_location(lon, lat)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(100.5, 13.75), (2.35, 48.86), (120.98, 14.6), (0.0, 0.0), (116.4, 39.9)],
    ids=["Bangkok", "Paris", "Manila", "null island", "Beijing"],
)
def test_check_location_rejects_points_outside_vietnam(lon: float, lat: float) -> None:
    with pytest.raises(PointOutsideServiceArea) as caught:
        check_location(lon, lat)
    assert isinstance(caught.value, InvalidGeometry)
    assert caught.value.extra["pointer"] == "#/location/coordinates"
    assert caught.value.extra["value"] == [lon, lat]


def test_changed_fields_lists_old_and_new_values_only_for_differences() -> None:
    before = {"name": "A", "status": "operational", "river": None}
    after = {"name": "B", "status": "operational", "basin": "Hồng"}
    assert changed_fields(before, after) == {"basin": [None, "Hồng"], "name": ["A", "B"]}


@pytest.mark.parametrize(
    ("lon", "lat", "province"),
    [(111.92, 8.64, "VN-34"), (112.33, 16.83, "VN-DN"), (105.85, 21.03, None), (109.2, 12.25, None)],
)
def test_archipelago_province_assigns_truong_sa_and_hoang_sa(
    lon: float, lat: float, province: str | None
) -> None:
    assert archipelago_province(lon, lat) == province
