"""Pure rules of the bulk station import: upload decoding, the row report and the change test."""

import codecs
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import Conflict, RuleViolation

MAX_VALUE_CHARS = 200
COORDINATE_TOLERANCE_DEG = 1e-7  # about 1 cm; PostGIS round trips may add noise below that
NUMBER_TOLERANCE = 1e-6
_UNORDERED_LISTS = frozenset({"station_types"})


class UploadNotUtf8(RuleViolation):
    code = "upload-not-utf8"
    title = "The uploaded file is not UTF-8 text"


class ImportFileUnreadable(RuleViolation):
    code = "import-file-unreadable"
    title = "The uploaded file cannot be read as a station list"


class ImportRejected(RuleViolation):
    code = "import-rejected"
    title = "The import has errors; nothing was written"


class ImportConflict(Conflict):
    code = "import-conflict"
    title = "A concurrent change touched the same stations; nothing was written"


class ImportTargetsChanged(Conflict):
    code = "import-targets-changed"
    title = "Stations of the import changed since it was checked; nothing was written"


@dataclass(frozen=True, slots=True)
class ImportApproval:
    """A reviewed import being applied: who approved it, and the revision of each station it matched."""

    approved_by: str
    base_revisions: dict[str, int]


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file: its bytes, and what the client says it is (media type, file name)."""

    data: bytes
    media_type: str | None = None
    filename: str | None = None


@dataclass(slots=True)
class RowError:
    """One problem of an upload: where (line or feature index, field), what was there, and why."""

    line: int
    field: str
    value: str
    reason: str
    locator: str | None = None  # a WMDR facility's WSI or gml:id

    def __post_init__(self) -> None:
        if len(self.value) > MAX_VALUE_CHARS:
            self.value = self.value[: MAX_VALUE_CHARS - 1] + "…"

    def as_dict(self) -> dict[str, Any]:
        """Return the error in the import report's JSON shape."""
        found = {"line": self.line, "field": self.field, "value": self.value, "reason": self.reason}
        return found if self.locator is None else found | {"facility": self.locator}


@dataclass(frozen=True, slots=True)
class StationRow:
    """A row without errors: the station fields the file gives, and values used only on creation."""

    line: int
    station: dict[str, Any]
    defaults: dict[str, Any]


@dataclass(slots=True)
class ParsedImport:
    """Result of parsing an upload: the clean rows and every error found (all rows, not only the first)."""

    source_format: str  # "csv", "wis2box" (the wis2box station_list.csv columns), "geojson" or "wmdr"
    stations: list[StationRow]
    errors: list[RowError]
    labels: dict[str, str] = field(default_factory=dict)  # field -> the column or property naming it
    locators: dict[int, str] = field(default_factory=dict)  # line -> WMDR facility (WSI or gml:id)
    update_only: list[int] = field(
        default_factory=list
    )  # lines that must match a station (no name, no place)

    @property
    def ok(self) -> bool:
        """Return True when nothing blocks the import."""
        return not self.errors


@dataclass(slots=True)
class ImportReport:
    """The import report of DESIGN.md: the service fills the counts, the parse fills the errors."""

    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # kept for a change request (not part of the API's report): the stations matched and the plan
    base_revisions: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report in the API's JSON shape."""
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [error.as_dict() for error in self.errors],
        }


def decode_upload(raw: bytes) -> str:
    """Return the upload as text with `\\n` line ends; raise UploadNotUtf8 unless it is UTF-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UploadNotUtf8(
            "the file is UTF-16 ('Unicode text'); the import expects UTF-8: "
            "save it as 'CSV UTF-8 (Comma delimited)' and upload it again",
            expected_encoding="utf-8",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UploadNotUtf8(
            f"the file is not UTF-8: byte 0x{raw[exc.start]:02X} on line {line} is not valid UTF-8 "
            "(Windows-1258, TCVN3 or VNI text?); the import expects UTF-8: "
            "save it as 'CSV UTF-8 (Comma delimited)' and upload it again",
            expected_encoding="utf-8",
            line=line,
        ) from None
    if "\x00" in text:
        raise UploadNotUtf8("the file contains NUL bytes (UTF-16 without a BOM?); the import expects UTF-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def diff_station(existing: Mapping[str, Any], candidate: Mapping[str, Any]) -> bool:
    """Return True when the candidate would change the existing station; only the candidate's fields count."""
    return any(not _same(name, existing.get(name), value) for name, value in candidate.items())


def _same(name: str, old: Any, new: Any) -> bool:
    if name == "location":
        return _same_point(old, new)
    if name == "variables":
        return _variables_key(old) == _variables_key(new)
    if isinstance(new, list | tuple) or isinstance(old, list | tuple):
        before, after = [str(v) for v in old or []], [str(v) for v in new or []]
        return sorted(before) == sorted(after) if name in _UNORDERED_LISTS else before == after
    if isinstance(new, float | int) and isinstance(old, float | int):
        return math.isclose(float(old), float(new), rel_tol=0, abs_tol=NUMBER_TOLERANCE)
    return bool(_blank_is_none(old) == _blank_is_none(new))


def _blank_is_none(value: Any) -> Any:
    if value is None or value == "":
        return None
    return str(value) if isinstance(value, str) else value  # a StrEnum compares as its value


def _coordinates(point: Any) -> tuple[float, ...] | None:
    if point is None:
        return None
    raw = point.get("coordinates") if isinstance(point, Mapping) else getattr(point, "coordinates", point)
    return tuple(float(c) for c in raw or ())


def _same_point(old: Any, new: Any) -> bool:
    before, after = _coordinates(old), _coordinates(new)
    if before is None or after is None:
        return before is after
    return len(before) >= 2 and all(
        abs(a - b) <= COORDINATE_TOLERANCE_DEG for a, b in zip(before[:2], after[:2], strict=True)
    )


def _variables_key(variables: Any) -> list[tuple[str, int | None]]:
    def pair(v: Any) -> tuple[str, int | None]:
        if isinstance(v, Mapping):
            return str(v.get("name")), v.get("interval_min")
        return str(v.name), v.interval_min

    return sorted((pair(v) for v in variables or []), key=lambda p: (p[0], p[1] or 0))
