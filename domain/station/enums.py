"""Code lists of the station model (StrEnum, stored as VARCHAR)."""

from enum import StrEnum


class Network(StrEnum):
    national = "national"
    specialized = "specialized"


class StationType(StrEnum):
    synoptic = "synoptic"
    climatological = "climatological"
    agrometeorological = "agrometeorological"
    hydrological = "hydrological"
    rain_gauge = "rain_gauge"
    marine = "marine"
    upper_air = "upper_air"
    radar = "radar"
    lightning = "lightning"
    aeronautical = "aeronautical"
    other = "other"


class Automation(StrEnum):
    manual = "manual"
    semi_automatic = "semi_automatic"
    automatic = "automatic"


class StationStatus(StrEnum):
    planned = "planned"
    operational = "operational"
    suspended = "suspended"
    closed = "closed"


class DataPolicy(StrEnum):
    core = "core"
    recommended = "recommended"
    restricted = "restricted"


MARINE_TYPES = frozenset({StationType.marine})
