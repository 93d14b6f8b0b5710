"""Pure parsing of station list filters and cursors."""

import base64

import pytest

from domain.errors import InvalidQuery
from domain.station.enums import Network, StationType
from domain.station.filters import (
    MAX_RADIUS_KM,
    decode_cursor,
    encode_cursor,
    parse_bbox,
    parse_enum_list,
    parse_near,
    split_list,
)


def test_parse_bbox_returns_four_numbers() -> None:
    assert parse_bbox("102.1,8.5,109.5,23.4") == (102.1, 8.5, 109.5, 23.4)
    assert parse_bbox(" 102 , 8 , 109 , 23 ") == (102.0, 8.0, 109.0, 23.0)


@pytest.mark.parametrize(
    "text",
    ["102,8,109", "102,8,109,23,5", "a,b,c,d", "", "102;8;109;23", "102,8,,23", "nan"],
)
def test_parse_bbox_rejects_anything_but_four_numbers(text: str) -> None:
    with pytest.raises(InvalidQuery, match="minLon,minLat,maxLon,maxLat") as caught:
        parse_bbox(text)
    assert caught.value.extra["parameter"] == "bbox"


@pytest.mark.parametrize("text", ["102,8,200,23", "102,-95,109,23", "-181,8,109,23"])
def test_parse_bbox_rejects_coordinates_out_of_range(text: str) -> None:
    with pytest.raises(InvalidQuery, match="out of range"):
        parse_bbox(text)


@pytest.mark.parametrize("text", ["109,8,102,23", "102,23,109,8"])
def test_parse_bbox_rejects_a_minimum_above_the_maximum(text: str) -> None:
    with pytest.raises(InvalidQuery, match="minimum"):
        parse_bbox(text)


def test_parse_bbox_names_the_parameter_it_was_given() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_bbox("1,2", name="extent")
    assert caught.value.extra["parameter"] == "extent"


def test_parse_near_returns_point_and_radius() -> None:
    assert parse_near("108.2,16.05", 50) == ((108.2, 16.05), 50)


@pytest.mark.parametrize(
    ("text", "radius", "parameter"),
    [
        ("108.2", 50.0, "near"),
        ("108.2,16.05,3", 50.0, "near"),
        ("east,north", 50.0, "near"),
        ("200,16", 50.0, "near"),
        ("108.2,16.05", None, "radius_km"),
        ("108.2,16.05", 0.0, "radius_km"),
        ("108.2,16.05", -5.0, "radius_km"),
        ("108.2,16.05", MAX_RADIUS_KM + 1, "radius_km"),
    ],
)
def test_parse_near_rejects_bad_point_or_radius_naming_the_parameter(
    text: str, radius: float | None, parameter: str
) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_near(text, radius)
    assert caught.value.extra["parameter"] == parameter


def test_parse_enum_list_accepts_repeated_and_comma_separated_values() -> None:
    assert parse_enum_list(["rain_gauge,marine", "synoptic"], StationType, "type") == [
        "rain_gauge",
        "marine",
        "synoptic",
    ]
    assert parse_enum_list([], Network, "network") == []


def test_parse_enum_list_rejects_an_unknown_value_listing_the_allowed_ones() -> None:
    with pytest.raises(InvalidQuery, match="network='regional'") as caught:
        parse_enum_list(["national,regional"], Network, "network")
    assert caught.value.extra == {"parameter": "network", "allowed": ["national", "specialized"]}


def test_split_list_flattens_and_drops_blanks() -> None:
    assert split_list(["MOC,EVN", " MAE ", ","]) == ["MOC", "EVN", "MAE"]


@pytest.mark.parametrize("key", ["QB-RG-014", "ISD-488200", "Trạm/ĐN 1"])
def test_cursor_round_trips_a_keyset_position(key: str) -> None:
    cursor = encode_cursor(key)
    assert key not in cursor
    assert decode_cursor(cursor) == key


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor!", "abc", "%%%", base64.urlsafe_b64encode(b"\xff\xfe\xfa").decode(), "QUJD==="],
)
def test_decode_cursor_rejects_cursors_this_service_did_not_give(cursor: str) -> None:
    with pytest.raises(InvalidQuery, match="cursor") as caught:
        decode_cursor(cursor)
    assert caught.value.extra["parameter"] == "cursor"
