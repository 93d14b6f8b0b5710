"""Pure equipment rules: item statuses, the automation level a station's equipment implies, dates.

Automation rule (Directive 10 asks for an automated network; the registry keeps the declared level
consistent with what is installed). Only items still installed (no removed date) count, whatever
their status, since a faulty logger still makes an automatic station that needs repair:
- every installed item is of an automatic kind            -> `automatic`
- no installed item is of an automatic kind               -> `manual`
- some automatic and some manual kinds (a logger with a manual rain gauge or evaporation pan kept as
  reference, the usual Vietnamese synoptic station)        -> `semi_automatic`
- a station without installed equipment keeps the level it declares (nothing to derive it from).
"""

import base64
import binascii
import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

from domain.errors import InvalidQuery, RuleViolation

VIETNAM_TZ = timezone(timedelta(hours=7))  # Indochina Time, no daylight saving


class EquipmentStatus(StrEnum):
    """Status of an item: WMDS table 5-04 (operational, testing, inactive) plus faulty and removed."""

    operational = "operational"
    testing = "testing"
    inactive = "inactive"
    faulty = "faulty"
    removed = "removed"


# The earliest installation, removal or maintenance date accepted: older than any instrument in the
# country's network (its first observatories date from the 1890s), and far from date arithmetic's limits.
EARLIEST_DATE = date(1850, 1, 1)


class DateOutOfRange(RuleViolation):
    code = "date-out-of-range"
    title = "Date out of the allowed range"


def today() -> date:
    """Return today's date in Viet Nam (dates of installation and maintenance are local dates)."""
    return datetime.now(UTC).astimezone(VIETNAM_TZ).date()


def derive_automation(installed: int, automatic: int) -> str | None:
    """Return the automation level implied by `automatic` of `installed` items, or None for no items."""
    if installed <= 0:
        return None
    if automatic >= installed:
        return "automatic"
    if automatic == 0:
        return "manual"
    return "semi_automatic"


def check_not_future(value: date, field: str, now: date) -> None:
    """Raise DateOutOfRange if `value` lies after today."""
    if value > now:
        raise DateOutOfRange(
            f"{field} {value.isoformat()} is in the future (today is {now.isoformat()})",
            pointer=f"#/{field}",
            value=value.isoformat(),
        )


def check_not_before(value: date, field: str, floor: date, floor_name: str) -> None:
    """Raise DateOutOfRange if `value` lies before `floor`."""
    if value < floor:
        raise DateOutOfRange(
            f"{field} {value.isoformat()} is before the {floor_name} {floor.isoformat()}",
            pointer=f"#/{field}",
            value=value.isoformat(),
        )


_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def encode_cursor(*parts: str) -> str:
    """Return an opaque cursor for a keyset position made of several parts."""
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    """Return the `size` parts of a cursor, or raise InvalidQuery."""
    try:
        if not _CURSOR_RE.match(cursor):
            raise ValueError(cursor)
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQuery("cursor is not one this service gave out", parameter="cursor") from exc
    if len(parts) != size:
        raise InvalidQuery("cursor is not one this service gave out", parameter="cursor")
    return parts
