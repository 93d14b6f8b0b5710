"""WMDR 1.0 uploads: each wmdr:ObservingFacility becomes one import row, reported by facility.

A facility's errors carry its position in the document (`line`: 1 for the first ObservingFacility,
as GeoJSON counts features) and its `facility` locator (the WSI, else its gml:id). Two kinds of record are read:
- the registry's own export (/share/v1/stations?f=wmdr): its description holds the registry fields as
  "Label: value." lines (domain.sharing.wmdr.description_lines), read back exactly, so an export
  imports again as the same stations;
- any other WMDR record (OSCAR/Surface's): standard elements only. The national code is the WSI's
  local id (as for wis2box lists) and, like the guessed network, automation and station type, is used
  only when the row creates a station; responsible parties are not read as owner (their names are
  not the registry's organization codes): the owner is ?owner= or the caller's organization.
The current position is the geospatialLocation whose validity has not ended (else the last one);
`gml:pos` is "latitude longitude [elevation]" (EPSG:4326 axis order, as WMO's examples write it).
"""

import re
from copy import deepcopy
from typing import Any

from lxml import etree

from domain.imports import values
from domain.imports.coordinates import AreaPredicate
from domain.imports.rows import DuplicateTracker, Layout, convert_row
from domain.imports.rules import ImportFileUnreadable, ParsedImport, RowError, StationRow
from domain.sharing.wmdr import NATIONAL_CODE_SPACE
from domain.sharing.wmdr_codes import OBSERVED_VARIABLE_BY_NAME
from domain.station.rules import TERRITORY_VIET_NAM, WMO_REGION_VIET_NAM

WMDR_NAMESPACES = ("http://def.wmo.int/wmdr/1.0", "http://def.wmo.int/wmdr/2017")
GML = "http://www.opengis.net/gml/3.2"
GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
OM = "http://www.opengis.net/om/2.0"
HREF = "{http://www.w3.org/1999/xlink}href"
LABELS = {
    "national_code": "national code", "name": "gml:name", "network": "network",
    "station_types": "wmdr:facilityType", "automation": "wmdr:sourceOfObservation",
    "status": "wmdr:reportingStatus", "latitude": "gml:pos (latitude)", "longitude": "gml:pos (longitude)",
    "elevation_m": "gml:pos (elevation)", "wigos_ids": "gml:identifier", "owner": "wmdr:responsibleParty (owner)",
    "operator": "wmdr:responsibleParty (custodian)", "data_policy": "wmdr:dataPolicy", "legal_basis": "legal basis",
    "river": "river", "basin": "basin", "variables": "om:observedProperty",
    "established_date": "wmdr:dateEstablished", "programmes": "wmdr:programAffiliation",
}  # fmt: skip
LAYOUT = Layout("wmdr", LABELS)
_LINE = re.compile(r"^(?P<label>[A-Za-z ]+): (?P<value>.*)\.$")
_NETWORK = re.compile(r"^(?P<network>\w+)(?: \(legal basis: (?P<legal>.*)\))?$")
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")
_STATUS = {"operational": "operational", "planned": "planned", "nonreporting": "suspended",
           "partlyoperational": "operational", "closed": "closed"}  # fmt: skip
_VARIABLE_BY_URI = {uri: name for name, uri in reversed(list(OBSERVED_VARIABLE_BY_NAME.items()))}
_DESCRIPTION_FIELDS = {
    "Station types": "station_types", "Automation": "automation", "Data policy": "data_policy",
    "Programmes": "programmes", "Variables": "variables", "River": "river", "Basin": "basin",
    "Operator": "operator", "WIGOS identifiers": "wigos_ids",
}  # fmt: skip
Element = etree._Element


def looks_like_xml(data: bytes) -> bool:
    """Return True when an upload starts like an XML document."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def parse_wmdr(data: bytes, *, in_area: AreaPredicate) -> ParsedImport:
    """Return the stations of a WMDR 1.0 document (one row per ObservingFacility) and every error."""
    root = _parse(data)
    facilities = [f for ns in WMDR_NAMESPACES for f in root.iter(f"{{{ns}}}ObservingFacility")]
    capabilities = _standalone_capabilities(root)
    if not facilities and not capabilities:
        raise ImportFileUnreadable(
            "the XML document holds no wmdr:ObservingFacility nor wmdr:ObservingCapability (expected WMDR 1.0)"
        )
    stations: list[StationRow] = []
    errors: list[RowError] = []
    locators: dict[int, str] = {}
    update_only: list[int] = []
    tracker = DuplicateTracker(LAYOUT)
    rows = [(f, _read_facility(f, line)) for line, f in enumerate(facilities, start=1)]
    for line, (wsi, group) in enumerate(capabilities.items(), start=len(facilities) + 1):
        rows.append((group[0], _read_capabilities(wsi, group, line)))
        update_only.append(line)
    for line, (element, (cells, defaults, found)) in enumerate(rows, start=1):
        locators[line] = cells.get("wigos_ids", "").split(";")[0] or str(element.get(f"{{{GML}}}id") or line)
        station, _, row_errors = convert_row(cells, line, LAYOUT, in_area)
        row_errors = found + row_errors + tracker.check(station, line)
        if row_errors:
            errors.extend(row_errors)
            continue
        for name in [k for k in defaults if k in station]:
            defaults[name] = station.pop(name)  # guessed from a foreign record: used on creation only
        stations.append(StationRow(line, station, defaults))
    for error in errors:
        error.locator = locators.get(error.line)
    return ParsedImport("wmdr", stations, errors, dict(LABELS), locators, update_only)


def _standalone_capabilities(root: Element) -> dict[str, list[Element]]:
    """Return the ObservingCapabilities outside any facility, by the WSI of the facility they name."""
    groups: dict[str, list[Element]] = {}
    for ns in WMDR_NAMESPACES:
        for capability in root.iter(f"{{{ns}}}ObservingCapability"):
            if any(etree.QName(a).localname == "ObservingFacility" for a in capability.iterancestors()):
                continue
            target = capability.find(f"{{{ns}}}facility")
            wsi = _notation(target.get(HREF) if target is not None else None) or "?"
            groups.setdefault(wsi, []).append(capability)
    return groups


def _read_capabilities(
    wsi: str, group: list[Element], line: int
) -> tuple[dict[str, str], dict[str, Any], list[RowError]]:
    """Return the row of observing capabilities given without their facility: they update its variables."""
    holder = etree.Element("capabilities")
    holder.extend(deepcopy(c) for c in group)
    variables = _variables(holder, _ns(group[0]))
    cells = {"wigos_ids": wsi, "variables": variables or ""}
    unknown = sorted(
        {str(p.get(HREF)) for p in holder.iter(f"{{{OM}}}observedProperty")} - set(_VARIABLE_BY_URI)
    )
    reason = "none of its observed variables has a name in the registry (WIGOS table 1-01 codes it maps)"
    errors = [] if variables else [RowError(line, "om:observedProperty", ", ".join(unknown), reason)]
    return cells, {"wigos_ids": None}, errors


def _parse(data: bytes) -> Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise ImportFileUnreadable(f"the file is not well-formed XML: {exc.msg}", line=line) from None


def _ns(element: Element) -> str:
    return etree.QName(element).namespace or WMDR_NAMESPACES[0]


def _text(element: Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _notation(href: str | None) -> str:
    return (href or "").rstrip("/").rsplit("/", 1)[-1]


def _read_facility(facility: Element, line: int) -> tuple[dict[str, str], dict[str, Any], list[RowError]]:
    """Return (cells by field, creation-only guesses, errors) of one facility."""
    w = _ns(facility)
    own = _description(facility, w)
    cells: dict[str, str] = {"name": ""}
    errors: list[RowError] = []
    _identity(facility, own, cells)
    _position(facility, w, cells)
    cells |= {k: v for k, v in (_standard(facility, w) | own).items() if v is not None}
    errors += _place_errors(facility, w, line)
    guessed = {} if own else _guesses(facility, w, cells)
    if not own and "wigos_ids" in cells:
        guessed["national_code"] = None  # the WSI's local id names a new station, never renames one
    if own:
        cells |= {k: v for k, v in _parties(facility).items() if k == "owner"}
    return cells, guessed, errors


def _identity(facility: Element, own: dict[str, str], cells: dict[str, str]) -> None:
    wsis: list[str] = []
    for identifier in facility.findall(f"{{{GML}}}identifier"):
        value = _text(identifier)
        if identifier.get("codeSpace") == NATIONAL_CODE_SPACE:
            cells["national_code"] = value
        elif value:
            wsis.append(value.rstrip("/").rsplit("/", 1)[-1])
    for name in facility.findall(f"{{{GML}}}name"):
        if name.get("codeSpace") == NATIONAL_CODE_SPACE:
            cells["national_code"] = _text(name)
        elif not cells["name"]:
            cells["name"] = _text(name)
    if wsis:
        cells["wigos_ids"] = ";".join(wsis)
        cells.setdefault("national_code", wsis[0].split("-", 3)[-1])
    if "national_code" in own:
        cells["national_code"] = own.pop("national_code")


def _current(elements: list[Element]) -> Element | None:
    """Return the element whose validPeriod has no end, else the last one."""
    for element in elements:
        end = element.find(f".//{{{GML}}}endPosition")
        if end is None or not _text(end):
            return element
    return elements[-1] if elements else None


def _position(facility: Element, w: str, cells: dict[str, str]) -> None:
    place = _current(facility.findall(f"{{{w}}}geospatialLocation/{{{w}}}GeospatialLocation"))
    pos = place.find(f".//{{{GML}}}pos") if place is not None else None
    parts = _text(pos).split()
    if len(parts) >= 2:
        cells["latitude"], cells["longitude"] = parts[0], parts[1]
    else:
        cells["latitude"] = cells["longitude"] = ""  # reported as required by convert_row
    if len(parts) >= 3:
        cells["elevation_m"] = parts[2]


def _standard(facility: Element, w: str) -> dict[str, str | None]:
    """Return what the standard elements say: date established, status, programmes, policy, variables."""
    affiliations = facility.findall(f"{{{w}}}programAffiliation/{{{w}}}ProgramAffiliation")
    programmes = [_notation(a.find(f"{{{w}}}programAffiliation").get(HREF)) for a in affiliations  # type: ignore[union-attr]
                  if a.find(f"{{{w}}}programAffiliation") is not None]  # fmt: skip
    statuses = [s for a in affiliations for s in a.findall(f"{{{w}}}reportingStatus/{{{w}}}ReportingStatus")]
    status = _current(statuses)
    status_code = _notation(status.find(f"{{{w}}}reportingStatus").get(HREF)) if status is not None else ""  # type: ignore[union-attr]
    policies = {_notation(p.get(HREF)) for p in facility.iter(f"{{{w}}}dataPolicy") if p.get(HREF)}
    established = _text(facility.find(f"{{{w}}}dateEstablished"))
    return {
        "established_date": established or None,
        "status": _STATUS.get(status_code.lower()),
        "programmes": ";".join(programmes) if programmes else None,
        "data_policy": "core" if "core" in policies else "recommended" if "recommended" in policies else None,
        "variables": _variables(facility, w),
    }


def _variables(facility: Element, w: str) -> str | None:
    found: list[str] = []
    for observation in facility.iter(f"{{{OM}}}OM_Observation"):
        prop = observation.find(f"{{{OM}}}observedProperty")
        name = (
            _VARIABLE_BY_URI.get((prop.get(HREF) or "").replace("https://", "http://"))
            if prop is not None
            else None
        )
        if name is None:
            continue  # a variable the registry has no name for is not imported
        interval = _minutes(_text(observation.find(f".//{{{w}}}temporalReportingInterval")))
        found.append(f"{name}:{interval}" if interval else name)
    return ";".join(dict.fromkeys(found)) if found else None


def _minutes(duration: str) -> int | None:
    match = _DURATION.match(duration)
    if not duration or match is None:
        return None
    seconds = (int(match["d"] or 0) * 86400 + int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60
               + float(match["s"] or 0))  # fmt: skip
    return max(1, round(seconds / 60)) if seconds else None


def _description(facility: Element, w: str) -> dict[str, str]:
    """Return the registry fields of a description written by the registry's export (else nothing)."""
    text = "\n".join(
        _text_lines(e) for e in facility.iterfind(f"{{{w}}}description/{{{w}}}Description/{{{w}}}description")
    )
    lines = {m["label"]: m["value"] for m in map(_LINE.match, text.split("\n")) if m}
    if "National station code" not in lines or "Network" not in lines:
        return {}
    own = {"national_code": lines["National station code"], "programmes": "", "variables": ""}
    network = _NETWORK.match(lines["Network"])
    own["network"] = network["network"] if network else lines["Network"]
    own["legal_basis"] = (network["legal"] if network else None) or ""
    for label, field in _DESCRIPTION_FIELDS.items():
        if label in lines:
            own[field] = (
                lines[label].replace(", ", ";")
                if field in ("station_types", "programmes", "wigos_ids")
                else lines[label]
            )
    for field in ("river", "basin", "operator"):
        own.setdefault(field, "")
    return own


def _text_lines(element: Element) -> str:
    return "\n".join(" ".join(line.split()) for line in (element.text or "").splitlines())


def _place_errors(facility: Element, w: str, line: int) -> list[RowError]:
    errors: list[RowError] = []
    region = facility.find(f"{{{w}}}wmoRegion")
    if region is not None and _notation(region.get(HREF)) not in ("", WMO_REGION_VIET_NAM):
        value = _notation(region.get(HREF))
        errors.append(
            RowError(line, "wmdr:wmoRegion", value, f"WMO region {value}: Viet Nam is in Region II, asia")
        )
    territories = facility.findall(f"{{{w}}}territory/{{{w}}}Territory")
    current = _current(territories)
    name = current.find(f"{{{w}}}territoryName") if current is not None else None
    code = _notation(name.get(HREF)) if name is not None else ""
    if code and code != TERRITORY_VIET_NAM:
        errors.append(
            RowError(line, "wmdr:territory", code, f"territory {code} is not Viet Nam ({TERRITORY_VIET_NAM})")
        )
    return errors


def _guesses(facility: Element, w: str, cells: dict[str, str]) -> dict[str, Any]:
    """Fill network, automation and station type from a foreign record's standard elements."""
    type_element = facility.find(f"{{{w}}}facilityType")
    facility_type = _notation(type_element.get(HREF) if type_element is not None else None)
    cells["station_types"] = values.FACILITY_TYPES.get(facility_type.lower(), "other")
    sources = {_notation(s.get(HREF)) for s in facility.iter(f"{{{w}}}sourceOfObservation")}
    automatic, manual = "automaticReading" in sources, bool(sources & {"manualReading", "visual"})
    cells["automation"] = "semi_automatic" if automatic and manual else "automatic" if automatic else "manual"
    programmes = set(cells.get("programmes", "").split(";")) - {""}
    cells["network"] = "national" if programmes - {"nonAffiliated"} else "specialized"
    return {"station_types": None, "automation": None, "network": None}


def _parties(facility: Element) -> dict[str, str]:
    """Return owner and operator of a registry record: the organization codes its parties name."""
    found: dict[str, str] = {}
    for party in facility.iter(f"{{{GMD}}}CI_ResponsibleParty"):
        name = _text(party.find(f"{{{GMD}}}organisationName/{{{GCO}}}CharacterString"))
        role = party.find(f"{{{GMD}}}role/{{{GMD}}}CI_RoleCode")
        code = (role.get("codeListValue") or _text(role)) if role is not None else ""
        field = {"owner": "owner", "custodian": "operator"}.get(code)
        if field and name:
            found.setdefault(field, name)
    return found
