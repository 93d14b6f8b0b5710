"""WMDR 1.0 rendering: every output validates offline against the WMO XSD and says what the station is."""

import csv
import itertools
import json
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from domain.sharing import wmdr_codes
from domain.sharing.wmdr import render_station, render_stations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wmdr"
CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
NS = {
    "wmdr": "http://def.wmo.int/wmdr/1.0",
    "gml": "http://www.opengis.net/gml/3.2",
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "om": "http://www.opengis.net/om/2.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
HREF = "{http://www.w3.org/1999/xlink}href"


class CatalogResolver(etree.Resolver):
    """Resolve remote schema locations to the local copies named by schemas/catalog.xml."""

    def __init__(self, catalog: Path) -> None:
        super().__init__()
        tree = etree.parse(str(catalog))
        base = catalog.parent
        self.prefixes = {
            str(e.get("uriStartString")): base / str(e.get("rewritePrefix"))
            for e in tree.iterfind(f"{{{CATALOG_NS}}}rewriteURI")
        }
        self.exact = {
            str(e.get("name")): base / str(e.get("uri")) for e in tree.iterfind(f"{{{CATALOG_NS}}}uri")
        }

    # lxml-stubs leave out the context argument and resolve_filename, hence the ignores.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        if system_url in self.exact:
            return self.resolve_filename(str(self.exact[system_url]), context)  # type: ignore[attr-defined]
        for prefix, folder in self.prefixes.items():
            if system_url.startswith(prefix):
                local = folder / system_url[len(prefix) :]
                return self.resolve_filename(str(local), context)  # type: ignore[attr-defined]
        return None


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(CatalogResolver(FIXTURES / "schemas" / "catalog.xml"))
    return etree.XMLSchema(etree.parse(str(FIXTURES / "wmdr-1.0.xsd"), parser))


def assert_valid(schema: etree.XMLSchema, document: bytes) -> etree._Element:
    root = etree.fromstring(document, etree.XMLParser(no_network=True))
    assert schema.validate(root), str(schema.error_log)
    return root


SAMPLES: dict[str, Any] = json.loads((FIXTURES / "stations.json").read_text(encoding="utf-8"))


def base_station(**overrides: Any) -> dict[str, Any]:
    station: dict[str, Any] = deepcopy(SAMPLES["base"])
    station.update(overrides)
    return station


STATIONS = {name: base_station(**changes) for name, changes in SAMPLES["cases"].items()}
HYDROLOGICAL = STATIONS["specialized_hydrological_with_river"]
CLOSED = STATIONS["closed"]
WITHOUT_WSI = STATIONS["without_wsi"]
SPECIAL_CHARACTERS = STATIONS["diacritics_and_special_characters"]


def facility(root: etree._Element) -> etree._Element:
    found = root.findall("wmdr:facility/wmdr:ObservingFacility", NS)
    assert len(found) == 1
    return found[0]


def hrefs(element: etree._Element, path: str) -> list[str | None]:
    return [e.get(HREF) for e in element.iterfind(path, NS)]


def one(element: etree._Element, path: str) -> etree._Element:
    found = element.find(path, NS)
    assert found is not None, path
    return found


def text(element: etree._Element, path: str) -> str:
    found = element.findtext(path, namespaces=NS)
    assert found is not None, path
    return found


@pytest.mark.parametrize("station", STATIONS.values(), ids=STATIONS.keys())
def test_wmdr_export_validates_against_xsd(schema: etree.XMLSchema, station: dict[str, Any]) -> None:
    document = render_station(station)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = assert_valid(schema, document)
    assert root.tag == "{http://def.wmo.int/wmdr/1.0}WIGOSMetadataRecord"


def test_wmdr_validator_accepts_the_wmo_example_and_rejects_a_broken_record(schema: etree.XMLSchema) -> None:
    example = (FIXTURES / "wmdr_1.0_example_facility_0-2008-0-JFJ.xml").read_bytes()
    assert_valid(schema, example)
    broken = render_station(base_station()).replace(b"gml:pos>", b"gml:position>")
    assert not schema.validate(etree.fromstring(broken))
    missing_type = etree.fromstring(render_station(base_station()))
    node = one(missing_type, ".//wmdr:facilityType")
    one(missing_type, ".//wmdr:facilityType/..").remove(node)
    assert not schema.validate(missing_type)


def test_wmdr_identifier_is_the_primary_wsi_in_the_wigos_code_space() -> None:
    station = facility(etree.fromstring(render_station(base_station())))
    identifier = one(station, "gml:identifier")
    assert identifier.text == "0-20000-0-48820"
    assert identifier.get("codeSpace") == "http://wigos.wmo.int"
    assert station.get("{http://www.opengis.net/gml/3.2}id") == "st-0b6c1c9e-6a41-4c1e-9a55-4f3f0f6d2a01"
    assert [n.text for n in station.findall("gml:name", NS)] == ["Trạm khí tượng Láng", "HN-SY-001"]


def test_wmdr_station_without_wsi_is_identified_by_its_national_code() -> None:
    station = facility(etree.fromstring(render_station(WITHOUT_WSI)))
    identifier = one(station, "gml:identifier")
    assert identifier.text == "QB-RG-014"
    assert identifier.get("codeSpace") == "urn:x-vn-hydromet:station:national-code"
    assert identifier.get("codeSpace") != "http://wigos.wmo.int"


def test_wmdr_position_is_latitude_first_then_longitude_then_elevation() -> None:
    point = one(etree.fromstring(render_station(WITHOUT_WSI)), ".//wmdr:geoLocation/gml:Point")
    assert point.get("srsName") == "http://www.opengis.net/def/crs/EPSG/0/4326"
    assert [float(v) for v in text(point, "gml:pos").split()] == [17.47, 106.62, 12.0]


def test_wmdr_position_without_elevation_has_only_latitude_and_longitude() -> None:
    point = one(etree.fromstring(render_station(SPECIAL_CHARACTERS)), ".//gml:Point")
    assert [float(v) for v in text(point, "gml:pos").split()] == [17.1611, 107.3394]


@pytest.mark.parametrize(
    ("station", "expected"),
    [
        (base_station(), "landFixed"),
        (HYDROLOGICAL, "lakeRiverFixed"),
        (SPECIAL_CHARACTERS, "seaFixed"),
        (base_station(station_types=["synoptic", "marine"]), "seaFixed"),
    ],
)
def test_wmdr_facility_type_follows_the_station_types(station: dict[str, Any], expected: str) -> None:
    root = etree.fromstring(render_station(station))
    assert hrefs(facility(root), "wmdr:facilityType") == [
        f"http://codes.wmo.int/wmdr/FacilityType/{expected}"
    ]


def test_wmdr_observations_exist_only_for_mapped_variables() -> None:
    root = etree.fromstring(render_station(base_station()))
    observed = hrefs(root, ".//om:OM_Observation/om:observedProperty")
    atmosphere, terrestrial = (
        "http://codes.wmo.int/wmdr/ObservedVariableAtmosphere",
        "http://codes.wmo.int/wmdr/ObservedVariableTerrestrial",
    )
    assert observed == [
        f"{atmosphere}/12166",
        f"{atmosphere}/12249",
        f"{atmosphere}/12006",
        f"{atmosphere}/12005",
        f"{atmosphere}/216",
        f"{atmosphere}/210",
        f"{atmosphere}/270",
        f"{terrestrial}/510",
        f"{atmosphere}/230",
    ]
    intervals = [e.text for e in root.iterfind(".//wmdr:temporalReportingInterval", NS)]
    assert intervals[:2] == ["PT3600S", "PT3600S"]
    assert intervals[-1] == "PT10800S"


def test_wmdr_variable_without_interval_keeps_its_observation_with_a_missing_procedure(
    schema: etree.XMLSchema,
) -> None:
    root = assert_valid(schema, render_station(HYDROLOGICAL))
    observations = root.findall(".//om:OM_Observation", NS)
    assert (
        hrefs(root, ".//om:observedProperty")[-1]
        == "http://codes.wmo.int/wmdr/ObservedVariableAtmosphere/210"
    )
    assert one(observations[-1], "om:procedure").get("nilReason") == "missing"
    assert observations[0].find("om:procedure/wmdr:Process", NS) is not None


def test_wmdr_hydrological_station_carries_river_and_owner() -> None:
    station = facility(etree.fromstring(render_station(HYDROLOGICAL)))
    description = text(station, "wmdr:description/wmdr:Description/wmdr:description")
    assert "River: Sông Đà." in description and "Basin: Hồng." in description
    parties = station.findall(".//gmd:CI_ResponsibleParty", NS)
    names = [text(p, "gmd:organisationName/gco:CharacterString") for p in parties]
    roles = [one(p, "gmd:role/gmd:CI_RoleCode").get("codeListValue") for p in parties]
    assert list(zip(names, roles, strict=True)) == [("EVN", "owner"), ("EVN-HB", "custodian")]
    assert hrefs(station, ".//wmdr:territoryName") == ["http://codes.wmo.int/wmdr/TerritoryName/VNM"]


def test_wmdr_closed_station_reports_closed_status_and_date() -> None:
    station = facility(etree.fromstring(render_station(CLOSED)))
    assert text(station, "wmdr:dateClosed") == "2019-06-30"
    assert hrefs(station, ".//wmdr:ReportingStatus/wmdr:reportingStatus") == [
        "http://codes.wmo.int/wmdr/ReportingStatus/closed"
    ]
    assert text(station, ".//wmdr:ReportingStatus//gml:beginPosition") == "2019-06-30"
    assert text(station, ".//om:phenomenonTime//gml:endPosition") == "2019-06-30"
    assert hrefs(station, ".//wmdr:sourceOfObservation") == [
        "http://codes.wmo.int/wmdr/SourceOfObservation/manualReading"
    ]


@pytest.mark.parametrize(
    ("status", "code"),
    [("planned", "planned"), ("operational", "operational"), ("suspended", "nonReporting")],
)
def test_wmdr_status_maps_to_the_reporting_status_code(status: str, code: str) -> None:
    root = etree.fromstring(render_station(base_station(status=status)))
    assert hrefs(root, ".//wmdr:ReportingStatus/wmdr:reportingStatus") == [
        f"http://codes.wmo.int/wmdr/ReportingStatus/{code}"
    ]


@pytest.mark.parametrize(
    ("network", "types", "programs"),
    [
        ("national", ["synoptic"], ["GOSGeneral"]),
        ("national", ["radar"], ["WRO"]),
        ("national", ["synoptic", "lightning"], ["GOSGeneral", "lightningDetection"]),
        ("specialized", ["radar"], ["nonAffiliated"]),
    ],
)
def test_wmdr_program_affiliation_follows_the_network(
    network: str, types: list[str], programs: list[str]
) -> None:
    root = facility(etree.fromstring(render_station(base_station(network=network, station_types=types))))
    expected = [f"http://codes.wmo.int/wmdr/ProgramAffiliation/{p}" for p in programs]
    assert hrefs(root, "wmdr:programAffiliation/wmdr:ProgramAffiliation/wmdr:programAffiliation") == expected


def test_wmdr_keeps_diacritics_and_escapes_xml_special_characters(schema: etree.XMLSchema) -> None:
    document = render_station(SPECIAL_CHARACTERS)
    root = assert_valid(schema, document)
    assert text(facility(root), "gml:name") == SPECIAL_CHARACTERS["name"]
    assert 'Trạm hải văn Cồn Cỏ &lt;đảo&gt; &amp; "Bạch Long Vĩ"'.encode() in document
    assert "Quyết định 1 &amp; 2 &lt;2020&gt;".encode() in document
    assert [e.text for e in root.iterfind(".//wmdr:internationalExchange", NS)] == ["false", "false"]
    assert root.find(".//wmdr:dataPolicy", NS) is None


def test_wmdr_drops_characters_that_xml_cannot_carry(schema: etree.XMLSchema) -> None:
    root = assert_valid(schema, render_station(base_station(name="Trạm\x0b Láng\x00")))
    assert text(facility(root), "gml:name") == "Trạm Láng"


def test_wmdr_streaming_export_validates_and_yields_one_chunk_per_station(schema: etree.XMLSchema) -> None:
    chunks = list(render_stations(STATIONS.values(), generated_at=datetime(2026, 2, 1, tzinfo=UTC)))
    assert len(chunks) > len(STATIONS)
    root = assert_valid(schema, b"".join(chunks))
    identifiers = [e.text for e in root.iterfind("wmdr:facility/wmdr:ObservingFacility/gml:identifier", NS)]
    assert identifiers == ["0-20000-0-48820", "0-704-2-HB003", "0-704-0-QT007", "QB-RG-014", "0-704-3-CC002"]
    assert text(root, "wmdr:headerInformation/wmdr:Header/wmdr:fileDateTime") == "2026-02-01T00:00:00+00:00"
    assert sum(b"<wmdr:facility" in chunk for chunk in chunks) == len(STATIONS)


def test_wmdr_streaming_export_reads_one_station_at_a_time() -> None:
    pulled: list[int] = []

    def stations() -> Iterator[dict[str, Any]]:
        for number in itertools.count():
            pulled.append(number)
            yield base_station(id=f"station-{number}", national_code=f"HN-SY-{number:03d}")

    chunks = render_stations(stations())
    next(chunks)
    first = next(chunks)
    assert pulled == [0]
    assert b"HN-SY-000" in first and b"HN-SY-001" not in first


def test_wmdr_streaming_export_of_no_station_is_still_a_valid_record(schema: etree.XMLSchema) -> None:
    root = assert_valid(schema, b"".join(render_stations([])))
    assert root.find("wmdr:facility", NS) is None


def test_wmdr_single_record_header_carries_update_time_and_revision() -> None:
    header = one(etree.fromstring(render_station(base_station())), "wmdr:headerInformation/wmdr:Header")
    assert text(header, "wmdr:fileDateTime") == "2026-01-15T02:30:00+00:00"
    assert text(header, "wmdr:version") == "4"


def test_wmdr_rendering_does_not_change_the_station() -> None:
    station = base_station()
    before = deepcopy(station)
    render_station(station)
    assert station == before


def _code_tables() -> dict[str, set[str]]:
    """Map each register URI to the notations of its current code table."""
    tables: dict[str, set[str]] = {}
    with (FIXTURES / "codes" / "wmdr-tables.csv").open(encoding="utf-8") as index:
        for number, _title, register in csv.reader(index):
            path = FIXTURES / "codes" / f"{number}.csv"
            if path.exists():
                with path.open(encoding="utf-8") as table:
                    notations = {row["notation"] for row in csv.DictReader(table)}
                tables[register.replace("https://", "http://")] = notations
    return tables


def test_wmdr_every_mapped_code_exists_in_the_wigos_code_tables() -> None:
    tables = _code_tables()
    uris = [
        *wmdr_codes.FACILITY_TYPE_BY_STATION_TYPE.values(),
        *wmdr_codes.REPORTING_STATUS_BY_STATUS.values(),
        *wmdr_codes.PROGRAM_BY_NETWORK.values(),
        *wmdr_codes.NATIONAL_PROGRAM_BY_STATION_TYPE.values(),
        *wmdr_codes.SOURCE_OF_OBSERVATION_BY_AUTOMATION.values(),
        *wmdr_codes.DATA_POLICY_BY_POLICY.values(),
        *wmdr_codes.OBSERVED_VARIABLE_BY_NAME.values(),
        wmdr_codes.TERRITORY_VIET_NAM,
        wmdr_codes.WMO_REGION_ASIA,
        wmdr_codes.TIME_ZONE_VIET_NAM,
        wmdr_codes.CRS_WGS84,
        wmdr_codes.FACILITY_TYPE_UNKNOWN,
        wmdr_codes.REPORTING_STATUS_UNKNOWN,
    ]
    missing = []
    for uri in uris:
        register, _, notation = uri.rpartition("/")
        if notation not in tables.get(register, set()):
            missing.append(uri)
    assert uris and not missing


def test_wmdr_complete_station_carries_what_completeness_measures(schema: etree.XMLSchema) -> None:
    station = base_station(
        established_date="1960-05-01", programmes=["GBON", "GOSGeneral"], wmo_region="asia", territory="VNM",
        wigos_ids=["0-20000-0-48820", "0-704-1-7"],
    )  # fmt: skip
    root = assert_valid(schema, render_station(station))
    facility = root.find("wmdr:facility/wmdr:ObservingFacility", NS)
    assert facility is not None
    assert text(facility, "wmdr:dateEstablished") == "1960-05-01"
    programs = [
        e.get(HREF)
        for e in facility.iterfind(
            "wmdr:programAffiliation/wmdr:ProgramAffiliation/wmdr:programAffiliation", NS
        )
    ]
    assert programs == [
        f"{wmdr_codes.CODES}/ProgramAffiliation/GBON",
        f"{wmdr_codes.CODES}/ProgramAffiliation/GOSGeneral",
    ]
    begins = facility.findall(".//wmdr:ReportingStatus/wmdr:validPeriod/gml:TimePeriod/gml:beginPosition", NS)
    assert [b.text for b in begins] == ["1960-05-01", "1960-05-01"]
    description = text(facility, "wmdr:description/wmdr:Description/wmdr:description")
    assert "WIGOS identifiers: 0-20000-0-48820, 0-704-1-7." in description.splitlines()
