"""Pure maintenance rules: actions, how a norm applies to an item, and the CSV columns of the schedule.

A norm names an equipment kind and an action, optionally narrowed to a station type and/or an
automation level. For an item and an action the most specific matching norm applies: one naming
both a station type and an automation level beats one naming the type, which beats one naming the
level, which beats the kind-wide default; equally specific norms resolve to the shorter interval.
An item is due `interval_days` after its last record of that action, or after its installation
date when it never had one. Removed items and stations that are planned or closed are never due.
"""

from enum import StrEnum


class MaintenanceAction(StrEnum):
    inspection = "inspection"
    calibration = "calibration"
    cleaning = "cleaning"
    replacement = "replacement"


DUE_STATION_STATUSES = ("operational", "suspended")
MAX_WITHIN_DAYS = 3650

DUE_CSV_COLUMNS = [
    "due_date", "days_overdue", "action", "interval_days", "last_performed_on", "equipment_id", "kind",
    "manufacturer", "model", "serial_number", "installed_date", "station_id", "national_code",
    "station_name", "owner", "province", "norm_id", "norm_source",
]  # fmt: skip


def specificity(station_type: str | None, automation: str | None) -> int:
    """Return how specific a norm is (higher wins): type and level 3, type 2, level 1, neither 0."""
    return (2 if station_type is not None else 0) + (1 if automation is not None else 0)
