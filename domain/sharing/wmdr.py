"""Render stations as WMO WMDR 1.0 XML, the metadata format of WMO OSCAR/Surface.

One station is one ``wmdr:WIGOSMetadataRecord`` holding one ``wmdr:facility``. A collection is ONE
record holding one ``wmdr:facility`` per station (the 1.0 XSD allows any number of facilities in a
record), so a whole export still validates against ``wmdr-1.0.xsd`` and needs no project namespace.
Each facility carries its own ``wmdr:observation`` capabilities, so every station stays self-contained.

Identifiers: ``gml:identifier`` (code space ``http://wigos.wmo.int``) is the primary WSI, the first of
``wigos_ids``. A station without a WSI is identified by its national code in the code space
``NATIONAL_CODE_SPACE``: unique and stable in the registry, and plainly not a WSI, so OSCAR will not
mistake it for one. ``gml:id`` values derive from the station UUID, so many stations share one document.
Coordinates follow the WMO examples: ``gml:pos`` is "lat lon elevation" (elevation in metres, left out
when unknown) with ``srsName`` the OGC URI of EPSG:4326, which fixes latitude-first axis order.
Dates: ``dateClosed`` comes from ``closed_date``; ``dateEstablished`` from ``established_date`` (when
known; validity periods otherwise begin "unknown"), which also dates an open reporting status.
Programme affiliations are the station's ``programmes`` (WIGOS table 2-02) when it names any, else
derived from its network and types. The description carries the registry's own fields as
"Label: value." lines, which the WMDR import reads back, so an export re-imports as the same stations.
A variable without ``interval_min`` keeps its observation with ``om:procedure nilReason="missing"``,
because a WMDR process needs a reporting interval.
"""

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, Final

from lxml import etree

from domain.sharing import wmdr_codes as codes

WMDR_NS: Final = "http://def.wmo.int/wmdr/1.0"
GML_NS: Final = "http://www.opengis.net/gml/3.2"
GMD_NS: Final = "http://www.isotc211.org/2005/gmd"
GCO_NS: Final = "http://www.isotc211.org/2005/gco"
OM_NS: Final = "http://www.opengis.net/om/2.0"
XLINK_NS: Final = "http://www.w3.org/1999/xlink"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP: Final = {
    "wmdr": WMDR_NS,
    "gml": GML_NS,
    "gmd": GMD_NS,
    "gco": GCO_NS,
    "om": OM_NS,
    "xlink": XLINK_NS,
    "xsi": XSI_NS,
}
_MEMBER_NSMAP: Final = {prefix: uri for prefix, uri in NSMAP.items() if prefix != "xsi"}
SCHEMA_LOCATION: Final = f"{WMDR_NS} http://schemas.wmo.int/wmdr/1.0/wmdr.xsd"
WIGOS_CODE_SPACE: Final = "http://wigos.wmo.int"
NATIONAL_CODE_SPACE: Final = "urn:x-vn-hydromet:station:national-code"
SRS_NAME: Final = "http://www.opengis.net/def/crs/EPSG/0/4326"
ROLE_CODE_LIST: Final = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode"
COLLECTION_RECORD_ID: Final = "wmdr-stations"

_HREF: Final = f"{{{XLINK_NS}}}href"
_GML_ID: Final = f"{{{GML_NS}}}id"
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_NCNAME_CHAR: Final = re.compile(r"[^A-Za-z0-9._-]")

Station = Mapping[str, Any]
Element = etree._Element


def render_station(station: Station) -> bytes:
    """Return one complete WMDR 1.0 document (UTF-8 bytes) for one station."""
    record = etree.Element(
        _w("WIGOSMetadataRecord"), _record_attrib(f"wmdr-{_station_key(station)}"), nsmap=NSMAP
    )
    record.append(_header(_as_datetime(station.get("updated_at")), station.get("revision")))
    record.append(_facility_member(station))
    return etree.tostring(record, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_stations(stations: Iterable[Station], *, generated_at: datetime | None = None) -> Iterator[bytes]:
    """Yield one WMDR 1.0 document holding every station, in chunks, one station at a time."""
    buffer = io.BytesIO()
    stamp = generated_at.isoformat() if generated_at is not None else None
    with etree.xmlfile(buffer, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(_w("WIGOSMetadataRecord"), _record_attrib(COLLECTION_RECORD_ID), nsmap=NSMAP):
            xf.write(_header(stamp, None), pretty_print=True)
            xf.flush()
            yield _drain(buffer)
            for station in stations:
                # Each facility repeats the namespace declarations: xmlfile serialises it as its own tree.
                xf.write(_facility_member(station), pretty_print=True)
                xf.flush()
                yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


def _w(local: str) -> str:
    return f"{{{WMDR_NS}}}{local}"


def _g(local: str) -> str:
    return f"{{{GML_NS}}}{local}"


def _record_attrib(gml_id: str) -> dict[str, str]:
    return {_GML_ID: gml_id, f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION}


def _sub(parent: Element, tag: str, text: str | None = None, **attrib: str) -> Element:
    child = etree.SubElement(parent, tag, attrib)
    if text is not None:
        child.text = _NOT_XML_CHAR.sub("", text)
    return child


def _ref(parent: Element, tag: str, href: str) -> Element:
    return _sub(parent, tag, **{_HREF: href})


def _header(file_date_time: str | None, revision: Any) -> Element:
    member = etree.Element(_w("headerInformation"), nsmap=_MEMBER_NSMAP)
    header = _sub(member, _w("Header"))
    if file_date_time is not None:
        _sub(header, _w("fileDateTime"), file_date_time)
    if isinstance(revision, int) and not isinstance(revision, bool):
        _sub(header, _w("version"), str(revision))
    return member


def _facility_member(station: Station) -> Element:
    member = etree.Element(_w("facility"), nsmap=_MEMBER_NSMAP)
    fid = f"st-{_station_key(station)}"
    facility = _sub(member, _w("ObservingFacility"), **{_GML_ID: fid})
    _identity(facility, station)
    for role, organization in _parties(station):
        _responsible_party(facility, organization, role)
    _location(facility, station, fid)
    _description(facility, station)
    _ref(facility, _w("facilityType"), codes.facility_type_uri(station.get("station_types") or []))
    _facility_dates_and_place(facility, station)
    programs = codes.program_uris(
        station.get("network"), station.get("station_types") or [], station.get("programmes") or []
    )
    for number, program in enumerate(programs, start=1):
        _program_affiliation(facility, station, program, f"{fid}-program{number}")
    for number, (variable, uri) in enumerate(_known_variables(station), start=1):
        _observation(facility, station, variable, uri, programs, f"{fid}-obs{number}")
    return member


def _station_key(station: Station) -> str:
    raw = str(station.get("id") or station.get("national_code") or "unidentified")
    return _NOT_NCNAME_CHAR.sub("_", raw)


def _identity(facility: Element, station: Station) -> None:
    wigos_ids = [wsi for wsi in station.get("wigos_ids") or [] if wsi]
    national_code = str(station.get("national_code") or "")
    if wigos_ids:
        _sub(facility, _g("identifier"), str(wigos_ids[0]), codeSpace=WIGOS_CODE_SPACE)
    else:
        _sub(facility, _g("identifier"), national_code, codeSpace=NATIONAL_CODE_SPACE)
    _sub(facility, _g("name"), str(station.get("name") or national_code))
    if national_code:
        _sub(facility, _g("name"), national_code, codeSpace=NATIONAL_CODE_SPACE)


def _parties(station: Station) -> list[tuple[str, str]]:
    owner, operator = station.get("owner"), station.get("operator")
    parties = [("owner", str(owner))] if owner else []
    if operator and operator != owner:
        parties.append(("custodian", str(operator)))
    return parties


def _responsible_party(facility: Element, organization: str, role: str) -> None:
    wrapper = _sub(_sub(facility, _w("responsibleParty")), _w("ResponsibleParty"))
    party = _sub(_sub(wrapper, _w("responsibleParty")), f"{{{GMD_NS}}}CI_ResponsibleParty")
    name = _sub(party, f"{{{GMD_NS}}}organisationName")
    _sub(name, f"{{{GCO_NS}}}CharacterString", organization)
    role_code = _sub(_sub(party, f"{{{GMD_NS}}}role"), f"{{{GMD_NS}}}CI_RoleCode", role)
    role_code.set("codeList", ROLE_CODE_LIST)
    role_code.set("codeListValue", role)


def _location(facility: Element, station: Station, fid: str) -> None:
    location = station.get("location") or {}
    coordinates = location.get("coordinates") or []
    if len(coordinates) < 2:
        return
    lon, lat = float(coordinates[0]), float(coordinates[1])
    values = [lat, lon] if station.get("elevation_m") is None else [lat, lon, float(station["elevation_m"])]
    place = _sub(_sub(facility, _w("geospatialLocation")), _w("GeospatialLocation"))
    point = _sub(_sub(place, _w("geoLocation")), _g("Point"), srsName=SRS_NAME, **{_GML_ID: f"{fid}-point"})
    _sub(point, _g("pos"), " ".join(repr(value) for value in values))
    _ref(place, _w("coordinateReferenceSystem"), codes.CRS_WGS84)


def _description(facility: Element, station: Station) -> None:
    description = _sub(_sub(facility, _w("description")), _w("Description"))
    _sub(description, _w("description"), "\n".join(description_lines(station)))


def description_lines(station: Station) -> list[str]:
    """Return the registry's own fields as "Label: value." lines (domain.imports.wmdr reads them back)."""
    lines = [f"National station code: {station.get('national_code')}."]
    network = f"Network: {station.get('network')}"
    if station.get("legal_basis"):
        network += f" (legal basis: {station['legal_basis']})"
    lines.append(network + ".")
    variables = [
        f"{v.get('name')}:{v['interval_min']}" if v.get("interval_min") else str(v.get("name"))
        for v in station.get("variables") or []
    ]
    for label, value in (
        # gml:identifier holds one identifier (the primary); a station with more lists them all here
        ("WIGOS identifiers", ", ".join(wsis) if len(wsis := station.get("wigos_ids") or []) > 1 else ""),
        ("Station types", ", ".join(station.get("station_types") or [])),
        ("Automation", station.get("automation")),
        ("Data policy", station.get("data_policy")),
        ("Programmes", ", ".join(station.get("programmes") or [])),
        ("Variables", "; ".join(variables)),
        ("Operator", station.get("operator")),
        ("River", station.get("river")),
        ("Basin", station.get("basin")),
        ("Province", station.get("province")),
    ):
        if value:
            lines.append(f"{label}: {_one_line(str(value))}.")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _facility_dates_and_place(facility: Element, station: Station) -> None:
    established, closed = _established(station), _closed(station)
    if established is not None:
        _sub(facility, _w("dateEstablished"), established.isoformat())
    time_zone = _sub(_sub(facility, _w("timeZone")), _w("TimeZone"))
    _ref(time_zone, _w("timeZone"), codes.TIME_ZONE_VIET_NAM)
    if closed is not None:
        _sub(facility, _w("dateClosed"), closed.isoformat())
    _ref(facility, _w("wmoRegion"), codes.wmo_region_uri(station.get("wmo_region")))
    territory = _sub(_sub(facility, _w("territory")), _w("Territory"))
    _ref(territory, _w("territoryName"), codes.territory_uri(station.get("territory")))


def _program_affiliation(facility: Element, station: Station, program: str, gml_id: str) -> None:
    affiliation = _sub(_sub(facility, _w("programAffiliation")), _w("ProgramAffiliation"))
    _ref(affiliation, _w("programAffiliation"), program)
    status = _sub(_sub(affiliation, _w("reportingStatus")), _w("ReportingStatus"))
    code = codes.REPORTING_STATUS_BY_STATUS.get(str(station.get("status")), codes.REPORTING_STATUS_UNKNOWN)
    _ref(status, _w("reportingStatus"), code)
    closed, established = _closed(station), _established(station)
    if station.get("status") == "closed" and closed is not None:
        _period(_sub(status, _w("validPeriod")), f"{gml_id}-status", closed, None)
    elif established is not None:  # OSCAR dates a status from when it holds; this one since establishment
        _period(_sub(status, _w("validPeriod")), f"{gml_id}-status", established, None)


def _known_variables(station: Station) -> list[tuple[Mapping[str, Any], str]]:
    known = []
    for variable in station.get("variables") or []:
        uri = codes.observed_variable_uri(str(variable.get("name") or ""))
        if uri is not None:
            known.append((variable, uri))
    return known


def _observation(
    facility: Element, station: Station, variable: Mapping[str, Any], uri: str, programs: list[str], oid: str
) -> None:
    capability = _sub(_sub(facility, _w("observation")), _w("ObservingCapability"), **{_GML_ID: f"{oid}-cap"})
    _ref(capability, _w("facility"), f"#{facility.get(_GML_ID)}")
    for program in programs:
        _ref(capability, _w("programAffiliation"), program)
    observation = _sub(_sub(capability, _w("observation")), f"{{{OM_NS}}}OM_Observation", **{_GML_ID: oid})
    established, closed = _established(station), _closed(station)
    _period(_sub(observation, f"{{{OM_NS}}}phenomenonTime"), f"{oid}-time", established, closed)
    _sub(observation, f"{{{OM_NS}}}resultTime")
    procedure = _sub(observation, f"{{{OM_NS}}}procedure")
    interval = variable.get("interval_min")
    if isinstance(interval, int) and interval > 0:
        _process(procedure, station, interval, oid)
    else:
        procedure.set("nilReason", "missing")  # WMDR needs a reporting interval to describe the process
    _ref(observation, f"{{{OM_NS}}}observedProperty", uri)
    _sub(observation, f"{{{OM_NS}}}featureOfInterest", nilReason="inapplicable")
    _sub(_sub(observation, f"{{{OM_NS}}}result"), _w("ResultSet"))


def _process(procedure: Element, station: Station, interval_min: int, oid: str) -> None:
    process = _sub(procedure, _w("Process"), **{_GML_ID: f"{oid}-process"})
    deployment = _sub(_sub(process, _w("deployment")), _w("Deployment"), **{_GML_ID: f"{oid}-deployment"})
    generation = _sub(_sub(deployment, _w("dataGeneration")), _w("DataGeneration"), **{_GML_ID: f"{oid}-dg"})
    established, closed = _established(station), _closed(station)
    _period(_sub(generation, _w("validPeriod")), f"{oid}-dg-period", established, closed)
    schedule = _sub(_sub(generation, _w("schedule")), _w("Schedule"))
    for name, value in (
        ("startMonth", 1),
        ("endMonth", 12),
        ("startWeekday", 1),
        ("endWeekday", 7),
        ("startHour", 0),
        ("endHour", 23),
        ("startMinute", 0),
        ("endMinute", 59),
    ):
        _sub(schedule, _w(name), str(value))
    _sub(schedule, _w("diurnalBaseTime"), "00:00:00Z")
    _reporting(_sub(_sub(generation, _w("reporting")), _w("Reporting")), station, interval_min)
    _period(_sub(deployment, _w("validPeriod")), f"{oid}-deployment-period", established, closed)
    source = codes.SOURCE_OF_OBSERVATION_BY_AUTOMATION.get(
        str(station.get("automation")), codes.SOURCE_OF_OBSERVATION_UNKNOWN
    )
    _ref(deployment, _w("sourceOfObservation"), source)


def _reporting(reporting: Element, station: Station, interval_min: int) -> None:
    policy = codes.DATA_POLICY_BY_POLICY.get(str(station.get("data_policy")))
    _sub(reporting, _w("internationalExchange"), "true" if policy is not None else "false")
    _sub(reporting, _w("temporalReportingInterval"), f"PT{interval_min * 60}S")
    if policy is not None:
        _ref(_sub(_sub(reporting, _w("dataPolicy")), _w("DataPolicy")), _w("dataPolicy"), policy)


def _period(prop: Element, gml_id: str, begin: date | None, end: date | None) -> None:
    period = _sub(prop, _g("TimePeriod"), **{_GML_ID: gml_id})
    if begin is None:
        _sub(period, _g("beginPosition"), indeterminatePosition="unknown")
    else:
        _sub(period, _g("beginPosition"), begin.isoformat())
    _sub(period, _g("endPosition"), end.isoformat() if end is not None else None)


def _established(station: Station) -> date | None:
    return _as_date(station.get("established_date"))


def _closed(station: Station) -> date | None:
    return _as_date(station.get("closed_date"))


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.fromisoformat(str(value)).isoformat()
