"""The WIGOS metadata elements completeness measures: element numbers of WMO-No. 1192, hints, SQL tests.

A leaf module (stdlib and the WMDR code lists only): the station list filters by completeness (`completeness_below=`) in the
station context's SQL, and the wigos context reports it, so both read the one table below; it imports
nothing from either, and the graph stays acyclic.

Element numbers are those of the WIGOS Metadata Standard (WMO-No. 1192), as the WMDR 1.0 schema cites
them in its annotations (3-01 region, 3-02 territory, 3-04 facility type, 3-07 location, 3-09 reporting
status, 2-02 programme affiliation, 5-01 source of observation, 6-08 schedule, 7-03 reporting interval,
9-02 data policy, 10-01 contact); 3-03 (name) and 3-06 (identifier) are the standard's own numbers for
gml:name and gml:identifier. OSCAR/Surface also requires the date established (WMDR dateEstablished, the
start of the 3-09 status period), so it is measured under 3-09.

Each `present` is a SQL condition over a row of `station` (alias `station`), true when the element is
there; `:known_variables` is bound to the registry's variable names that have a WIGOS code (table 1-01).
"""

from dataclasses import dataclass
from typing import Final

from domain.sharing.wmdr_codes import OBSERVED_VARIABLE_BY_NAME


@dataclass(frozen=True, slots=True)
class Element:
    """One measured element: a key, its WMO-No. 1192 number, its name, a hint, and its SQL test."""

    key: str
    number: str
    name: str
    hint: str
    present: str


_VARIABLE_NAME = "replace(replace(lower(btrim(v->>'name')), ' ', '_'), '-', '_')"
ELEMENTS: Final[tuple[Element, ...]] = (
    Element("wigos_id", "3-06", "Station/platform unique identifier",
            "issue a WIGOS station identifier (POST /api/v1/stations/{id}/wigos-ids) or record the one it has",
            "cardinality(station.wigos_ids) > 0"),
    Element("name", "3-03", "Station/platform name", "give the station's name",
            "btrim(station.name) <> ''"),
    Element("facility_type", "3-04", "Station/platform type", "give at least one station type",
            "cardinality(station.station_types) > 0"),
    Element("position", "3-07", "Geospatial location: latitude and longitude", "give the station's position",
            "station.location IS NOT NULL"),
    Element("elevation", "3-07", "Geospatial location: elevation",
            "give the elevation above mean sea level in metres (elevation_m)",
            "station.elevation_m IS NOT NULL"),
    Element("wmo_region", "3-01", "Region of origin of data",
            "derived from the position: save the station's location again",
            "station.wmo_region IS NOT NULL"),
    Element("territory", "3-02", "Territory of origin of data",
            "derived from the position: save the station's location again",
            "station.territory IS NOT NULL"),
    Element("established", "3-09", "Date established (start of the station's operating status)",
            "give the date the station was established (established_date)",
            "station.established_date IS NOT NULL"),
    Element("status", "3-09", "Station operating status", "give the operating status",
            "station.status IS NOT NULL"),
    Element("programme", "2-02", "Programme/network affiliation",
            "name the WMO programme or network the station belongs to (WIGOS table 2-02, e.g. GOSGeneral, "
            "GBON, RBON, WHYCOS), or nonAffiliated",
            "cardinality(station.programmes) > 0"),
    Element("variables", "1-01", "Observed variable - measurand",
            "list the variables observed, by names that have a WIGOS code (e.g. precipitation, "
            "air_temperature, water_level, discharge)",
            f"EXISTS (SELECT 1 FROM jsonb_array_elements(station.variables) v "
            f"WHERE {_VARIABLE_NAME} = ANY(CAST(:known_variables AS text[])))"),
    Element("schedule", "6-08, 7-03", "Schedule of observation and temporal reporting interval",
            "give every observed variable its reporting interval in minutes (interval_min)",
            "jsonb_array_length(station.variables) > 0 AND NOT EXISTS (SELECT 1 FROM "
            "jsonb_array_elements(station.variables) v WHERE jsonb_typeof(v->'interval_min') "
            "IS DISTINCT FROM 'number')"),
    Element("source", "5-01", "Source of observation", "give the automation level (manual or automatic)",
            "station.automation IS NOT NULL"),
    Element("data_policy", "9-02", "Data policy/licence",
            "restricted stations have no WMO data policy: OSCAR needs core or recommended",
            "station.data_policy IN ('core', 'recommended')"),
    Element("contact", "10-01", "Contact (responsible organization)", "name the owner organization",
            "station.owner IS NOT NULL"),
)  # fmt: skip
ELEMENT_BY_KEY: Final = {element.key: element for element in ELEMENTS}
KNOWN_VARIABLES: Final[tuple[str, ...]] = tuple(sorted(OBSERVED_VARIABLE_BY_NAME))


def present_count_sql() -> str:
    """Return SQL counting the elements a station row has (0 to len(ELEMENTS))."""
    return "(" + " + ".join(f"(CASE WHEN {e.present} THEN 1 ELSE 0 END)" for e in ELEMENTS) + ")"


def missing_keys_sql() -> str:
    """Return SQL of the keys of the elements a station row lacks, as text[] in ELEMENTS order."""
    cases = ", ".join(f"CASE WHEN {e.present} THEN NULL ELSE '{e.key}' END" for e in ELEMENTS)
    return f"array_remove(ARRAY[{cases}]::text[], NULL)"


def score(present: int) -> int:
    """Return the completeness score 0-100 of a station having `present` elements (100 only when all)."""
    total = len(ELEMENTS)
    return max(0, min(present, total)) * 100 // total
