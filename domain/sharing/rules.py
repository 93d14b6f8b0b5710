"""Pure sharing rules: a partner's scope, opaque cursors, ETags, and OGC query-parameter parsing."""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidQuery, RuleViolation

SHAREABLE_POLICIES = ("core", "recommended")
RESTRICTED = "restricted"
NEVER_SHARED_STATUS = "closed"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


@dataclass(frozen=True)
class Scope:
    """What one reader may see; None means "any". Restricted and closed stations are always out."""

    networks: tuple[str, ...] | None = None
    station_types: tuple[str, ...] | None = None
    provinces: tuple[str, ...] | None = None
    data_policies: tuple[str, ...] = SHAREABLE_POLICIES
    stamp: int = 0  # the agreement's version, so feed cursors die when the agreement changes

    @property
    def is_empty(self) -> bool:
        return not self.data_policies


PUBLIC_SCOPE = Scope()
NO_SCOPE = Scope(data_policies=())


def grant_scope(
    networks: list[str] | None,
    station_types: list[str] | None,
    provinces: list[str] | None,
    data_policies: list[str],
    stamp: int,
) -> Scope:
    """Return the scope of an agreement; a stored restricted policy is dropped, never honoured."""
    return Scope(
        networks=tuple(networks) if networks is not None else None,
        station_types=tuple(station_types) if station_types is not None else None,
        provinces=tuple(provinces) if provinces is not None else None,
        data_policies=tuple(p for p in data_policies if p in SHAREABLE_POLICIES),
        stamp=stamp,
    )


def check_grant_policies(data_policies: list[str]) -> None:
    """Raise RuleViolation when an agreement names the restricted policy."""
    if any(p not in SHAREABLE_POLICIES for p in data_policies):
        raise RuleViolation(
            "restricted stations are never shared; data_policies may hold only core and recommended",
            pointer="#/data_policies",
        )


def in_scope(scope: Scope, station: dict[str, object]) -> bool:
    """Return True when a station (API JSON shape) is inside the scope."""
    types = station.get("station_types") or []
    assert isinstance(types, list)
    return (
        not scope.is_empty
        and station.get("data_policy") in scope.data_policies
        and station.get("status") != NEVER_SHARED_STATUS
        and (scope.networks is None or station.get("network") in scope.networks)
        and (scope.provinces is None or station.get("province") in scope.provinces)
        and (scope.station_types is None or bool(set(types) & set(scope.station_types)))
    )


def encode_token(*parts: object) -> str:
    """Return an opaque URL-safe token holding these values."""
    return base64.urlsafe_b64encode(":".join(str(p) for p in parts).encode()).decode().rstrip("=")


def decode_token(token: str, parameter: str, count: int) -> list[str]:
    """Return the `count` values inside a token, or raise InvalidQuery naming the parameter."""
    try:
        if not _TOKEN_RE.match(token) or len(token) > 400:
            raise ValueError(token)
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQuery(f"{parameter} is not one this service gave out", parameter=parameter) from exc
    parts = text.split(":", count - 1)
    if len(parts) != count:
        raise InvalidQuery(f"{parameter} is not one this service gave out", parameter=parameter)
    return parts


def encode_feed_cursor(stamp: int, seq: int) -> str:
    """Return the feed cursor after revision `seq`, under the agreement version `stamp`."""
    return encode_token("f1", stamp, seq)


def decode_feed_cursor(cursor: str) -> tuple[int, int]:
    """Return (agreement stamp, seq) from a feed cursor, or raise InvalidQuery."""
    tag, stamp, seq = decode_token(cursor, "after", 3)
    if tag != "f1" or not stamp.isdigit() or not seq.isdigit():
        raise InvalidQuery("after is not a cursor this feed gave out", parameter="after")
    return int(stamp), int(seq)


def etag_of(body: bytes | str) -> str:
    """Return a strong ETag for a response body."""
    data = body.encode() if isinstance(body, str) else body
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Return True when an If-None-Match header names this ETag (or is *)."""
    if not if_none_match:
        return False
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Sort:
    """An OGC sortby key: a sortable station property, ascending or descending."""

    name: str
    descending: bool


def parse_sortby(text: str, sortable: tuple[str, ...]) -> Sort | None:
    """Return the sort of `sortby=+name` / `-updated_at` (one key; the code breaks ties), or raise InvalidQuery."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    if len(keys) > 1 and keys[1:] != ["+national_code"]:
        raise InvalidQuery("sortby takes one property (national_code always breaks ties)", parameter="sortby")
    if not keys:
        return None
    key = keys[0]
    descending = key.startswith("-")
    name = key.lstrip("+- ")
    if name.endswith((" DESC", " ASC")):
        descending, name = name.endswith(" DESC"), name.rsplit(" ", 1)[0]
    if name not in sortable:
        raise InvalidQuery(
            f"sortby '{name}' is not sortable; use one of: {', '.join(sortable)}", parameter="sortby",
            allowed=list(sortable),
        )  # fmt: skip
    return None if (name == "national_code" and not descending) else Sort(name, descending)


def parse_ogc_bbox(text: str) -> list[Box]:
    """Return the boxes of an OGC bbox (4 or 6 numbers; one crossing the antimeridian gives two)."""
    try:
        values = [float(p) for p in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 6):
        raise InvalidQuery(f"bbox must be 4 or 6 numbers, got '{text}'", parameter="bbox")
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    lon1, lat1, lon2, lat2 = values
    if not (-180 <= lon1 <= 180 and -180 <= lon2 <= 180 and -90 <= lat1 <= lat2 <= 90):
        raise InvalidQuery(f"bbox '{text}' is out of range or upside down", parameter="bbox")
    if lon1 <= lon2:
        return [(lon1, lat1, lon2, lat2)]
    return [(lon1, lat1, 180.0, lat2), (-180.0, lat1, lon2, lat2)]


def _instant(text: str) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise InvalidQuery(f"datetime '{text}' is not RFC 3339", parameter="datetime") from exc
    if value.tzinfo is None:
        raise InvalidQuery(f"datetime '{text}' needs a time zone (e.g. Z)", parameter="datetime")
    return value


def parse_ogc_datetime(text: str) -> tuple[datetime | None, datetime | None]:
    """Return (start, end) of an OGC datetime: an instant, or an interval with open ends (..)."""
    if "/" not in text:
        instant = _instant(text)
        if instant is None:
            raise InvalidQuery("datetime must be an instant or an interval", parameter="datetime")
        return instant, instant
    first, _, second = text.partition("/")
    start, end = _instant(first), _instant(second)
    if start is None and end is None:
        raise InvalidQuery("datetime '../..' has no bound", parameter="datetime")
    if start and end and start > end:
        raise InvalidQuery(f"datetime '{text}' ends before it starts", parameter="datetime")
    return start, end


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """Return the OGC limit: an integer >= 1; above the declared maximum it is clipped, as OGC intends."""
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise InvalidQuery(f"limit must be an integer from 1 to {maximum}, got '{raw}'", parameter="limit")
    return min(int(raw), maximum)
