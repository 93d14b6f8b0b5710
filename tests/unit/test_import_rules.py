"""Import parsing rules: every bad row of a real-world CSV or GeoJSON upload is reported where it is."""

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from domain.geo import in_service_area
from domain.imports import (
    ImportFileUnreadable,
    ImportReport,
    ParsedImport,
    RowError,
    UploadNotUtf8,
    decode_upload,
    diff_station,
    parse_coordinate,
    parse_csv,
    parse_geojson,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SEED = Path(__file__).resolve().parents[2] / "seed" / "data"
GOOD = {"national_code": "HN-1", "name": "Láng", "network": "national", "station_types": "synoptic",
        "automation": "manual", "latitude": "21.0167", "longitude": "105.8"}  # fmt: skip


def parse(text: str) -> ParsedImport:
    return parse_csv(text, in_area=in_service_area)


def parse_fixture(name: str) -> ParsedImport:
    return parse(decode_upload((FIXTURES / name).read_bytes()))


def table(*rows: dict[str, str]) -> str:
    """Return a CSV with the columns of the first row (GOOD's by default), quoted as Excel does."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list({**GOOD, **rows[0]}), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**GOOD, **row} for row in rows)
    return out.getvalue()


def one(**cells: str) -> ParsedImport:
    return parse(table(cells))


def where(parsed: ParsedImport) -> list[tuple[int, str, str]]:
    return [(e.line, e.field, e.value) for e in parsed.errors]


def reason(parsed: ParsedImport) -> str:
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0].reason


def test_decode_upload_strips_the_bom_and_windows_line_ends() -> None:
    assert decode_upload("\ufeffa,b\r\n1,2\r\n".encode()) == "a,b\n1,2\n"


def test_decode_upload_refuses_windows_1258_and_utf16_naming_utf8_and_the_line() -> None:
    with pytest.raises(UploadNotUtf8) as caught:
        decode_upload((FIXTURES / "windows1258_export.csv").read_bytes())
    assert "UTF-8" in caught.value.detail and "line 2" in caught.value.detail
    assert caught.value.extra == {"expected_encoding": "utf-8", "line": 2}
    with pytest.raises(UploadNotUtf8, match="UTF-16.*expects UTF-8"):
        decode_upload("national_code,name\n".encode("utf-16"))


def test_messy_excel_upload_reports_every_bad_row_at_its_physical_line() -> None:
    parsed = parse_fixture("ministry_messy_excel.csv")
    expected = [
        (4, "latitude", "105.85", "latitude and longitude appear swapped: (21.03, 105.85) would be in Viet Nam"),
        (5, "latitude", "95.5", "latitude 95.5 is out of range"),
        (6, "latitude", "0", "placeholder coordinates (0, 0)"),
        (7, "network", "tư nhân", "unknown value 'tư nhân'; allowed: national, specialized"),
        (8, "wigos_ids", "0-704-70000-X1", "issuer and issue number must be 0-65534"),
        (9, "National_Code", "hn-lang", "national_code hn-lang is already used on line 2"),
        (9, "wigos_ids", "0-704-1-48820", "WIGOS identifier 0-704-1-48820 is already used on line 2"),
        (13, "latitude", "21°75'N", "minutes must be below 60"),
        (14, "row", "HN-COMMA,Trạm dấu phẩy,national,synoptic,manual,,21,5,105.8,,,,,,", "15 cells but the header has 14"),
        (15, "Name", "", "required"),
        (18, "latitude", "13.75", "(13.75, 100.5) is outside Viet Nam's land, sea and archipelagos"),
    ]  # fmt: skip
    assert where(parsed) == [row[:3] for row in expected]
    for error, (*_, fragment) in zip(parsed.errors, expected, strict=True):
        assert fragment in error.reason


def test_messy_excel_upload_keeps_the_good_rows_in_the_api_shape() -> None:
    rows = {row.line: row.station for row in parse_fixture("ministry_messy_excel.csv").stations}
    assert sorted(rows) == [2, 3, 11, 17]
    lang, hoan_kiem, son_tay, hydro = rows[2], rows[3], rows[11], rows[17]
    assert lang["name"] == unicodedata.normalize("NFC", "Trạm khí tượng Láng")
    assert (lang["network"], lang["automation"], lang["status"]) == ("national", "automatic", "operational")
    assert lang["station_types"] == ["synoptic", "climatological"]
    assert lang["location"]["coordinates"] == pytest.approx([105.8, 21 + 1 / 60])
    assert [(v["name"], v["interval_min"]) for v in lang["variables"]] == [
        ("precipitation", 10),
        ("air_temperature", 60),
    ]
    assert hoan_kiem["location"] == {"type": "Point", "coordinates": [105.8542, 21.0285]}
    assert "status" not in hoan_kiem and "data_policy" not in hoan_kiem and hoan_kiem["operator"] is None
    assert son_tay["name"] == "Trạm đo mưa Sơn Tây" and son_tay["data_policy"] == "restricted"
    assert hydro["station_types"] == ["hydrological", "rain_gauge"]
    assert (
        hydro["automation"] == "semi_automatic"
        and hydro["status"] == "suspended"
        and hydro["elevation_m"] == 12.5
    )
    assert hydro["location"]["coordinates"] == pytest.approx([105 + 30 / 60 + 12 / 3600, 21 + 8.5 / 60])
    assert hydro["variables"][1] == {"name": "discharge", "interval_min": 1440}


@pytest.mark.parametrize(
    ("text", "axis", "expected"),
    [
        ("21.0285", "latitude", 21.0285), ("21°01'N", "latitude", 21 + 1 / 60), ("21°01'30\"N", "latitude", 21.025),
        ("21º01′30″ N", "latitude", 21.025), ("105°50'E", "longitude", 105 + 50 / 60), ("21 01 30 N", "latitude", 21.025),
        ("21d01m30s", "latitude", 21.025), ("21d01m30S", "latitude", -21.025), ("N 21°01.5'", "latitude", 21.025),
        ("105°50'W", "longitude", -(105 + 50 / 60)), ("21,5", "latitude", 21.5), ("−8,65", "latitude", -8.65),
    ],
)  # fmt: skip
def test_coordinate_spellings_are_read_as_decimal_degrees(text: str, axis: Any, expected: float) -> None:
    assert parse_coordinate(text, axis) == pytest.approx(expected)


def test_swapped_coordinates_are_reported_with_a_hint() -> None:
    parsed = one(latitude="105.8", longitude="21.0167")
    assert reason(parsed) == "latitude and longitude appear swapped: (21.0167, 105.8) would be in Viet Nam"
    assert parsed.stations == []


@pytest.mark.parametrize(
    ("lat", "lon"),
    [("90", "180"), ("-90", "-180"), ("0", "0"), ("-999", "-999"), ("99.9", "999.9"), ("21", "180")],
)
def test_placeholder_coordinates_are_rejected(lat: str, lon: str) -> None:
    assert reason(one(latitude=lat, longitude=lon)).startswith("placeholder coordinates")


def test_island_stations_in_the_archipelagos_are_inside_the_service_area() -> None:
    parsed = one(latitude="8°39'N", longitude="111°55'E")  # Trường Sa
    coordinates = parsed.stations[0].station["location"]["coordinates"]
    assert parsed.ok and coordinates == pytest.approx([111.9167, 8.65], abs=1e-4)


def test_a_foreign_file_gets_one_missing_columns_error_and_no_row_errors() -> None:
    parsed = parse((SEED / "grdc_catalogue_vietnam_stations.csv").read_text(encoding="utf-8"))
    missing = [e for e in parsed.errors if e.reason.startswith("missing")]
    assert len(missing) == 1 and missing[0].line == 1
    assert missing[0].field == "national_code, name, network, station_types, automation"
    assert all(e.line == 1 for e in parsed.errors) and parsed.stations == []
    unknown = {e.field for e in parsed.errors if e.reason == "unknown column"}
    assert unknown >= {"grdc_no", "station", "altitude"} and "river" not in unknown


def test_unknown_columns_are_reported_on_line_1_and_block_the_import() -> None:
    parsed = one(provine="Hà Nội")
    assert where(parsed) == [(1, "provine", "")]
    assert parsed.errors[0].reason == "unknown column" and not parsed.ok


def test_a_field_given_by_two_columns_is_an_error() -> None:
    parsed = parse(table({"lat": "21.0"}))
    assert where(parsed) == [(1, "lat", "")] and "already gives latitude" in parsed.errors[0].reason


def test_semicolon_excel_export_with_decimal_commas_is_read() -> None:
    parsed = parse_fixture("excel_vi_semicolon.csv")
    assert parsed.ok, parsed.errors
    first, second = (row.station for row in parsed.stations)
    assert first["network"] == "specialized" and first["station_types"] == ["rain_gauge"]
    assert first["automation"] == "automatic" and first["elevation_m"] == 12.0
    assert first["location"]["coordinates"] == [106.62, 17.47] and second["automation"] == "semi_automatic"
    assert second["station_types"] == ["rain_gauge", "hydrological"]
    assert second["location"]["coordinates"] == pytest.approx([106 + 47 / 60, 17.2])


def test_an_unclosed_quote_is_reported_at_the_line_where_it_opens() -> None:
    broken = 'HN-3,"Trạm,national,synoptic,manual,21,105.8\nHN-4,X,national\n'
    parsed = parse(table(GOOD, {"national_code": "HN-2"}) + broken)
    assert where(parsed)[0][:2] == (4, "row") and "closing quote" in parsed.errors[0].reason
    assert [row.line for row in parsed.stations] == [2, 3]


def test_an_empty_upload_is_unreadable() -> None:
    with pytest.raises(ImportFileUnreadable):
        parse("\n\n")


@pytest.mark.parametrize(
    ("column", "spelling", "expected"),
    [
        ("network", "Quốc gia", "national"), ("network", "CHUYÊN DÙNG", "specialized"),
        ("automation", "Tự động", "automatic"), ("automation", "Semi-Automatic", "semi_automatic"),
        ("automation", "bán tự động", "semi_automatic"), ("automation", "Thủ công", "manual"),
        ("status", "Tạm ngừng", "suspended"), ("status", "Quy hoạch", "planned"), ("data_policy", "Essential", "core"),
        ("station_types", "Trạm thuỷ văn", "hydrological"), ("station_types", "Đo mưa", "rain_gauge"),
        ("station_types", "Upper-Air", "upper_air"),
    ],
)  # fmt: skip
def test_code_list_spellings_in_vietnamese_and_english_are_accepted(
    column: str, spelling: str, expected: str
) -> None:
    parsed = one(**{column: spelling})
    assert parsed.ok, parsed.errors
    value = parsed.stations[0].station[column]
    assert value == ([expected] if column == "station_types" else expected)


def test_an_unknown_station_type_names_the_allowed_values() -> None:
    text = reason(one(station_types="synoptic;weather"))
    assert text.startswith("unknown value 'weather'; allowed: synoptic, climatological") and "radar" in text


def test_several_wigos_ids_keep_their_order_with_the_primary_first() -> None:
    parsed = one(wigos_ids="0-20000-0-48820; 0-704-1-LANG|0-704-2-L2")
    assert parsed.stations[0].station["wigos_ids"] == ["0-20000-0-48820", "0-704-1-LANG", "0-704-2-L2"]


def test_each_later_duplicate_of_a_code_or_wsi_names_the_first_line() -> None:
    wsi = "0-704-1-A1"
    parsed = parse(table({"wigos_ids": wsi}, {"wigos_ids": ""}, {"national_code": "HN-2", "wigos_ids": wsi}))
    assert where(parsed) == [(3, "national_code", "HN-1"), (4, "wigos_ids", wsi)]
    assert [e.reason for e in parsed.errors] == [
        "national_code HN-1 is already used on line 2",
        f"WIGOS identifier {wsi} is already used on line 2",
    ]


def test_vietnamese_names_are_nfc_normalized_and_keep_their_diacritics() -> None:
    decomposed = unicodedata.normalize("NFD", "Trạm  thủy văn Đồng Hới")
    name = one(name=decomposed).stations[0].station["name"]
    assert name == "Trạm thủy văn Đồng Hới" and unicodedata.is_normalized("NFC", name)


BAD_CELLS = [
    ({"latitude": "21°01'E"}, "latitude", "hemisphere E"), ({"longitude": "105°50'N"}, "longitude", "hemisphere N"),
    ({"latitude": "21,0,5"}, "latitude", "cannot read latitude"), ({"latitude": ""}, "latitude", "latitude is required"),
    ({"latitude": "-21°S"}, "latitude", "either a sign or a hemisphere"), ({"latitude": "21 30 s"}, "latitude", "cannot read"),
    ({"longitude": "200"}, "longitude", "longitude 200 is out of range"),
    ({"wigos_ids": "0-704-70000-X1"}, "wigos_ids", "65534"), ({"wigos_ids": "1-704-0-X1"}, "wigos_ids", "series 0"),
    ({"wigos_ids": "0-704-1-ABCDEFGHIJKLMNOPQ"}, "wigos_ids", "local id 1-16"),
    ({"wigos_ids": "0-704-1-"}, "wigos_ids", "expected 0-<issuer>"),
    ({"wigos_ids": "0-704-1-QB014;0-704-1-QB014"}, "wigos_ids", "listed twice"),
    ({"elevation_m": "-999"}, "elevation_m", "placeholder elevation"),
    ({"elevation_m": "9500"}, "elevation_m", "between -500 and 9000"), ({"elevation_m": "cao"}, "elevation_m", "cannot read"),
    ({"variables": "precipitation:0"}, "variables", "interval must be"),
    ({"variables": "precipitation:ten"}, "variables", "cannot read variable"),
    ({"national_code": "HN 1"}, "national_code", "a national code"), ({"name": "x" * 301}, "name", "at most 300 characters"),
    ({"network": ""}, "network", "required"), ({"station_types": " ; "}, "station_types", "required"),
]  # fmt: skip


@pytest.mark.parametrize(("cells", "field", "fragment"), BAD_CELLS)
def test_bad_cells_are_row_errors_naming_their_column_and_reason(
    cells: dict[str, str], field: str, fragment: str
) -> None:
    parsed = one(**cells)
    assert [e.field for e in parsed.errors] == [field] and fragment in parsed.errors[0].reason
    assert parsed.errors[0].line == 2 and parsed.stations == []


def test_isd_derived_list_parses_except_its_real_placeholder_elevation() -> None:
    parsed = parse_fixture("isd_vietnam_stations.csv")
    assert where(parsed) == [(7, "elevation_m", "-999.0")]
    with (SEED / "isd_history_vietnam_stations.csv").open(encoding="utf-8") as handle:
        isd = {r["USAF"]: r for r in csv.DictReader(handle)}
    assert len(parsed.stations) == 12
    for row in parsed.stations:
        station, source = row.station, isd[row.station["national_code"].removeprefix("ISD-")]
        assert station["location"]["coordinates"] == [float(source["LON"]), float(source["LAT"])]
        assert station["elevation_m"] == float(source["ELEV(M)"])


def test_grdc_derived_gauges_with_placeholder_90_180_are_reported() -> None:
    parsed = parse_fixture("grdc_vietnam_gauges.csv")
    assert where(parsed) == [(5, "latitude", "90"), (8, "latitude", "90")]
    assert all(e.reason.startswith("placeholder coordinates (90, 180)") for e in parsed.errors)
    with (SEED / "grdc_catalogue_vietnam_stations.csv").open(encoding="utf-8") as handle:
        grdc = {r["grdc_no"]: r for r in csv.DictReader(handle)}
    for row in parsed.stations:
        source = grdc[row.station["national_code"].removeprefix("GRDC-")]
        assert row.station["location"]["coordinates"] == [float(source["long"]), float(source["lat"])]


def test_wis2box_station_list_maps_to_our_fields_with_creation_only_defaults() -> None:
    parsed = parse_fixture("wis2box_station_list.csv")
    assert parsed.source_format == "wis2box"
    assert where(parsed) == [(6, "facility_type", "spaceBased")]
    rows = {row.station["national_code"]: row for row in parsed.stations}
    assert sorted(rows) == ["48820", "48839", "48920", "HB01"]
    lang = rows["48820"]
    point = {"type": "Point", "coordinates": [105.8, 21.0167]}
    fields = {"name": "LANG", "wigos_ids": ["0-20000-0-48820"], "national_code": "48820", "elevation_m": 6.0}
    assert lang.station == fields | {"location": point}
    assert lang.defaults == {"network": "national", "automation": "automatic", "station_types": ["synoptic"]}
    assert rows["48920"].defaults["station_types"] == ["marine"]
    assert rows["HB01"].defaults["station_types"] == ["hydrological"]


def test_wis2box_file_without_coordinates_names_its_own_missing_columns() -> None:
    header = "station_name,wigos_station_identifier,facility_type,elevation"
    parsed = parse(f"{header}\nLANG,0-20000-0-48820,landFixed,6\n")
    assert where(parsed) == [(1, "latitude, longitude", "")]


def test_geojson_errors_are_reported_by_feature_index() -> None:
    obj = json.loads((FIXTURES / "stations.geojson").read_text(encoding="utf-8"))
    parsed = parse_geojson(obj, in_area=in_service_area)
    assert where(parsed) == [
        (1, "geometry.coordinates[1]", "106.62"), (2, "geometry", "LineString"),
        (3, "province", "Quảng Bình"), (3, "automation", ""), (4, "national_code", "QB-RG-014"),
    ]  # fmt: skip
    assert parsed.errors[0].reason.endswith("(17.47, 106.62) would be in Viet Nam")
    assert parsed.errors[2].reason == "unknown property"
    assert parsed.errors[4].reason == "national_code QB-RG-014 is already used on feature 0"
    first, last = (row.station for row in parsed.stations)
    expected = obj["features"][0]["properties"] | {"location": obj["features"][0]["geometry"]}
    assert first == expected
    assert [last[k] for k in ("network", "station_types", "elevation_m")] == [
        "specialized",
        ["hydrological"],
        3.5,
    ]
    assert last["variables"] == [{"name": "water_level", "interval_min": None}]


@pytest.mark.parametrize("obj", [[], {"type": "Point", "coordinates": [105.8, 21.0]}, "stations"])
def test_geojson_that_is_not_a_feature_collection_is_unreadable(obj: Any) -> None:
    with pytest.raises(ImportFileUnreadable):
        parse_geojson(obj, in_area=in_service_area)


EXISTING = {
    "national_code": "HN-1", "name": "Láng", "station_types": ["synoptic", "climatological"],
    "location": {"type": "Point", "coordinates": (105.80000000001, 21.0167)}, "elevation_m": 6.0,
    "wigos_ids": ["0-20000-0-48820", "0-704-1-LANG"], "river": None,
    "variables": [{"name": "rain", "interval_min": 10}, {"name": "wind", "interval_min": None}],
}  # fmt: skip


def test_diff_station_is_false_when_the_file_repeats_the_stored_values() -> None:
    candidate = {
        "name": "Láng", "station_types": ["climatological", "synoptic"], "river": "", "elevation_m": 6,
        "location": {"type": "Point", "coordinates": [105.8, 21.0167]},
        "variables": [{"name": "wind", "interval_min": None}, {"name": "rain", "interval_min": 10}],
    }  # fmt: skip
    assert diff_station(EXISTING, candidate) is False


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Láng (mới)"}, {"location": {"type": "Point", "coordinates": [105.81, 21.0167]}},
        {"wigos_ids": ["0-704-1-LANG", "0-20000-0-48820"]}, {"elevation_m": None}, {"owner": "MOT"},
        {"variables": [{"name": "rain", "interval_min": 5}]}, {"station_types": ["synoptic"]},
    ],
)  # fmt: skip
def test_diff_station_sees_each_changed_field(change: dict[str, Any]) -> None:
    assert diff_station(EXISTING, change) is True


def test_import_report_has_the_designed_json_shape() -> None:
    error = RowError(12, "latitude", "90", "placeholder coordinates (90, 180)")
    report = ImportReport(dry_run=True, updated=2, errors=[error]).as_dict()
    assert report == {
        "dry_run": True,
        "created": 0,
        "updated": 2,
        "unchanged": 0,
        "errors": [error.as_dict()],
    }
    assert error.as_dict() == {"line": 12, "field": "latitude", "value": "90", "reason": error.reason}


def test_twenty_thousand_rows_parse_with_one_area_check_per_row() -> None:
    calls = 0

    def counting(lon: float, lat: float) -> bool:
        nonlocal calls
        calls += 1
        return in_service_area(lon, lat)

    lines = ["national_code,name,network,station_types,automation,latitude,longitude,wigos_ids,variables"]
    lines += [
        f"G-{i},Trạm {i},national,rain_gauge,automatic,{20.5 + i % 1000 / 2000},"
        f"{105.8 + i % 500 / 1000:.3f},0-704-1-G{i},precipitation:10"
        for i in range(20_000)
    ]
    parsed = parse_csv("\n".join(lines), in_area=counting)
    assert parsed.ok, parsed.errors[:3]
    assert len(parsed.stations) == 20_000 and parsed.stations[-1].line == 20_001
    assert calls == 20_000
