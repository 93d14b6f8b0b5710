"""Mappings from the registry's enums and variable names to WMO WMDR code-list URIs (WIGOS code tables)."""

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Final

CODES: Final = "http://codes.wmo.int/wmdr"

# Table 3-04, register FacilityType. Hydrometric stations stand on the river or lake they measure
# (OSCAR/Surface files them as lakeRiverFixed); "marine" stations are read as fixed sea platforms.
FACILITY_TYPE_BY_STATION_TYPE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "synoptic": f"{CODES}/FacilityType/landFixed",
        "climatological": f"{CODES}/FacilityType/landFixed",
        "agrometeorological": f"{CODES}/FacilityType/landFixed",
        "hydrological": f"{CODES}/FacilityType/lakeRiverFixed",
        "rain_gauge": f"{CODES}/FacilityType/landFixed",
        "marine": f"{CODES}/FacilityType/seaFixed",
        "upper_air": f"{CODES}/FacilityType/landFixed",
        "radar": f"{CODES}/FacilityType/landFixed",
        "lightning": f"{CODES}/FacilityType/landFixed",
        "aeronautical": f"{CODES}/FacilityType/landFixed",
        "other": f"{CODES}/FacilityType/landFixed",
    }
)
# A station has one facility type: when its types disagree, the first of these that applies wins.
FACILITY_TYPE_PRECEDENCE: Final[Sequence[str]] = (
    f"{CODES}/FacilityType/seaFixed",
    f"{CODES}/FacilityType/lakeRiverFixed",
    f"{CODES}/FacilityType/landFixed",
)
FACILITY_TYPE_UNKNOWN: Final = f"{CODES}/FacilityType/unknown"

# Table 3-09, register ReportingStatus.
REPORTING_STATUS_BY_STATUS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "planned": f"{CODES}/ReportingStatus/planned",
        "operational": f"{CODES}/ReportingStatus/operational",
        "suspended": f"{CODES}/ReportingStatus/nonReporting",
        "closed": f"{CODES}/ReportingStatus/closed",
    }
)
REPORTING_STATUS_UNKNOWN: Final = f"{CODES}/ReportingStatus/unknown"

# Table 2-02, register ProgramAffiliation. The national network belongs to the WMO GOS surface network
# without a known GBON/RBON listing (GOSGeneral; the older code "GOS" is no longer in the table);
# specialized stations of other ministries and enterprises are not affiliated with WIGOS.
PROGRAM_BY_NETWORK: Final[Mapping[str, str]] = MappingProxyType(
    {
        "national": f"{CODES}/ProgramAffiliation/GOSGeneral",
        "specialized": f"{CODES}/ProgramAffiliation/nonAffiliated",
    }
)
# National stations of these types also belong to a GOS element of their own; a national station whose
# only types are these is listed there alone, not under GOSGeneral.
NATIONAL_PROGRAM_BY_STATION_TYPE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "radar": f"{CODES}/ProgramAffiliation/WRO",
        "lightning": f"{CODES}/ProgramAffiliation/lightningDetection",
    }
)

# Table 5-01, register SourceOfObservation. A semi-automatic station mixes automatic and manual readings,
# and the registry does not say which variable is which, so the honest code is "unknown".
SOURCE_OF_OBSERVATION_BY_AUTOMATION: Final[Mapping[str, str]] = MappingProxyType(
    {
        "manual": f"{CODES}/SourceOfObservation/manualReading",
        "semi_automatic": f"{CODES}/SourceOfObservation/unknown",
        "automatic": f"{CODES}/SourceOfObservation/automaticReading",
    }
)
SOURCE_OF_OBSERVATION_UNKNOWN: Final = f"{CODES}/SourceOfObservation/unknown"

# Table 9-02, register DataPolicy (WMO Unified Data Policy). "restricted" has no WMO code: such stations
# are never shared, and when rendered anyway no data policy is claimed and nothing is exchanged.
DATA_POLICY_BY_POLICY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "core": f"{CODES}/DataPolicy/core",
        "recommended": f"{CODES}/DataPolicy/recommended",
    }
)

# Tables 3-02 (TerritoryName), 3-01 (WMORegion; Viet Nam is in Region II, Asia), 11-04 (Timezone, UTC+7;
# the table index lists that register under https, written here with http like every other register)
# and 11-02 (CoordinateReferenceSystem).
TERRITORY_VIET_NAM: Final = f"{CODES}/TerritoryName/VNM"
WMO_REGION_ASIA: Final = f"{CODES}/WMORegion/asia"
TIME_ZONE_VIET_NAM: Final = f"{CODES}/Timezone/7"
CRS_WGS84: Final = f"{CODES}/CoordinateReferenceSystem/wgs84"

_ATMOSPHERE: Final = f"{CODES}/ObservedVariableAtmosphere"
_TERRESTRIAL: Final = f"{CODES}/ObservedVariableTerrestrial"
_OCEAN: Final = f"{CODES}/ObservedVariableOcean"

# Tables 1-01-01 (atmosphere), 1-01-05 (terrestrial and hydrological) and 1-01-03 (ocean), current codes
# only (air temperature is 12166: 224 was retired in FT2025-2). Names not listed here are not exported.
OBSERVED_VARIABLE_BY_NAME: Final[Mapping[str, str]] = MappingProxyType(
    {
        "precipitation": f"{_ATMOSPHERE}/210",
        "air_temperature": f"{_ATMOSPHERE}/12166",
        "relative_humidity": f"{_ATMOSPHERE}/12249",
        "wind_speed": f"{_ATMOSPHERE}/12006",
        "wind_direction": f"{_ATMOSPHERE}/12005",
        "pressure": f"{_ATMOSPHERE}/216",
        "atmospheric_pressure": f"{_ATMOSPHERE}/216",
        "visibility": f"{_ATMOSPHERE}/230",
        "sunshine_duration": f"{_ATMOSPHERE}/270",
        "cloud_cover": f"{_ATMOSPHERE}/180",
        "cloud_base_height": f"{_ATMOSPHERE}/531",
        "global_radiation": f"{_ATMOSPHERE}/573",
        "solar_radiation": f"{_ATMOSPHERE}/573",
        "lightning": f"{_ATMOSPHERE}/431",
        "evaporation": f"{_TERRESTRIAL}/510",
        "soil_temperature": f"{_TERRESTRIAL}/596",
        "soil_moisture": f"{_TERRESTRIAL}/12277",
        "water_level": f"{_TERRESTRIAL}/12252",
        "stream_level": f"{_TERRESTRIAL}/172",
        "lake_level": f"{_TERRESTRIAL}/168",
        "groundwater_level": f"{_TERRESTRIAL}/166",
        "discharge": f"{_TERRESTRIAL}/171",
        "suspended_sediment": f"{_TERRESTRIAL}/12268",
        "sea_level": f"{_OCEAN}/96",
        "sea_surface_temperature": f"{_OCEAN}/95",
        "sea_surface_salinity": f"{_OCEAN}/92",
        "wave_height": f"{_OCEAN}/743",
        "wave_period": f"{_OCEAN}/744",
        "wave_direction": f"{_OCEAN}/98",
    }
)


def observed_variable_uri(name: str) -> str | None:
    """Return the ObservedVariable URI for a registry variable name, or None when none is known."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return OBSERVED_VARIABLE_BY_NAME.get(key)


def facility_type_uri(station_types: Iterable[str]) -> str:
    """Return the one FacilityType URI for a station's types, by FACILITY_TYPE_PRECEDENCE."""
    found = {FACILITY_TYPE_BY_STATION_TYPE[t] for t in station_types if t in FACILITY_TYPE_BY_STATION_TYPE}
    return next((uri for uri in FACILITY_TYPE_PRECEDENCE if uri in found), FACILITY_TYPE_UNKNOWN)


def wmo_region_uri(notation: str | None) -> str:
    """Return the WMORegion URI of a table 3-01 notation (Asia when the station has none recorded)."""
    return f"{CODES}/WMORegion/{notation}" if notation else WMO_REGION_ASIA


def territory_uri(notation: str | None) -> str:
    """Return the TerritoryName URI of a table 3-02 notation (Viet Nam when none is recorded)."""
    return f"{CODES}/TerritoryName/{notation}" if notation else TERRITORY_VIET_NAM


def program_uris(
    network: str | None, station_types: Iterable[str], programmes: Iterable[str] = ()
) -> list[str]:
    """Return the ProgramAffiliation URIs of a station: its own programmes, else from its network and types."""
    named = [f"{CODES}/ProgramAffiliation/{p}" for p in programmes]
    if named:
        return list(dict.fromkeys(named))
    if network != "national":
        return [PROGRAM_BY_NETWORK["specialized"]]
    types = list(station_types)
    special = [NATIONAL_PROGRAM_BY_STATION_TYPE[t] for t in types if t in NATIONAL_PROGRAM_BY_STATION_TYPE]
    surface = not types or any(t not in NATIONAL_PROGRAM_BY_STATION_TYPE for t in types)
    general = [PROGRAM_BY_NETWORK["national"]] if surface else []
    return list(dict.fromkeys(general + special))
