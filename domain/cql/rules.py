"""CQL2 filters (OGC API - Features Part 3): parse text or JSON with the `cql2` library, then check it.

Both languages are parsed into CQL2-JSON by `cql2` (the OGC reference grammar, maintained in Rust);
the tree is then checked here against a collection's queryables: every property known, every
operator supported, each literal of the type its property holds. A checked tree is what
`domain.cql.queries` compiles to SQL, with every literal a bound parameter. Errors name where the
problem is, as a JSON pointer into the CQL2-JSON form of the filter.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import cql2
import shapely
from shapely.geometry import shape

from domain.errors import InvalidQuery

Kind = Literal["string", "number", "datetime", "array", "geometry", "boolean"]
LOGICAL = ("and", "or", "not")
COMPARISON = ("=", "<>", "<", "<=", ">", ">=")
SPATIAL = ("s_intersects", "s_disjoint", "s_contains", "s_within", "s_touches", "s_crosses",
           "s_overlaps", "s_equals")  # fmt: skip
ARRAY_OPS = ("a_equals", "a_contains", "a_containedby", "a_overlaps")
MAX_FILTER_CHARS = 20_000
MAX_NODES = 500


class InvalidFilter(InvalidQuery):
    code = "invalid-filter"
    title = "Invalid filter"


@dataclass(frozen=True)
class Queryable:
    """A property a filter may use: its kind, a description, and the values it may take (if a few)."""

    kind: Kind
    description: str
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Filter:
    """A checked CQL2 filter, as CQL2-JSON whose geometries are WGS84 longitude/latitude."""

    tree: Any


GeometryToWgs84 = Callable[[dict[str, Any]], dict[str, Any]]


def _fail(detail: str, pointer: str, parameter: str = "filter") -> InvalidFilter:
    return InvalidFilter(detail, parameter=parameter, pointer=pointer or "/")


# "cql-text" is the Part 3 draft's name, which GDAL 3.6's OAPIF driver sends for its -where; its
# comparisons, AND/OR/NOT, LIKE, IN, BETWEEN and IS NULL read the same in CQL2 text.
def parse_filter(
    text: str, *, lang: str | None, queryables: Mapping[str, Queryable], to_wgs84: GeometryToWgs84 | None
) -> Filter:
    """Return the checked filter, or raise InvalidFilter saying what is wrong and where."""
    if lang not in (None, "cql2-text", "cql2-json", "cql-text"):
        raise _fail(f"filter-lang must be cql2-text or cql2-json, got '{lang}'", "", "filter-lang")
    if len(text) > MAX_FILTER_CHARS:
        raise _fail(f"filter is longer than {MAX_FILTER_CHARS} characters", "")
    try:
        expr = cql2.parse_json(text) if lang == "cql2-json" else cql2.parse_text(text)
        tree = expr.to_json()
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        where = " ".join(str(exc).split())
        raise _fail(f"filter is not valid {lang or 'cql2-text'}: {where}", "") from None
    checker = _Checker(queryables, to_wgs84)
    return Filter(tree=checker.condition(tree, ""))


def _literal_kind(node: Any) -> Kind | None:
    if isinstance(node, bool):
        return "boolean"
    if isinstance(node, int | float):
        return "number"
    if isinstance(node, str):
        return "string"
    if isinstance(node, dict) and ("timestamp" in node or "date" in node):
        return "datetime"
    if isinstance(node, dict) and ("bbox" in node or "coordinates" in node or "geometries" in node):
        return "geometry"
    if isinstance(node, list):
        return "array"
    return None


class _Checker:
    """Walks a CQL2-JSON tree, checking names, operators and types; returns the tree to compile."""

    def __init__(self, queryables: Mapping[str, Queryable], to_wgs84: GeometryToWgs84 | None) -> None:
        self.queryables = queryables
        self.to_wgs84 = to_wgs84
        self.nodes = 0

    def _count(self, pointer: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _fail(f"filter has more than {MAX_NODES} terms", pointer)

    def condition(self, node: Any, at: str) -> Any:
        """Check a boolean expression."""
        self._count(at)
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict) or "op" not in node:
            raise _fail(f"expected a condition at {at or '/'}, got {json.dumps(node)[:80]}", at)
        op, args = str(node["op"]).lower(), list(node.get("args", []))
        if op in ("and", "or"):
            return {"op": op, "args": [self.condition(a, f"{at}/args/{i}") for i, a in enumerate(args)]}
        if op == "not":
            return {"op": op, "args": [self.condition(self._one(args, at), f"{at}/args/0")]}
        if op in COMPARISON or op == "like":
            return self._compare(op, args, at)
        if op == "between":
            return self._between(args, at)
        if op == "in":
            return self._in(args, at)
        if op == "isnull":
            return {"op": op, "args": [self.scalar(self._one(args, at), f"{at}/args/0")[0]]}
        if op in SPATIAL:
            return self._spatial(op, args, at)
        if op in ARRAY_OPS:
            return self._array(op, args, at)
        raise _fail(f"operator '{node['op']}' is not supported here", at)

    def _one(self, args: list[Any], at: str) -> Any:
        if len(args) != 1:
            raise _fail("this operator takes one argument", at)
        return args[0]

    def _pair(self, args: list[Any], at: str, n: int = 2) -> list[Any]:
        if len(args) != n:
            raise _fail(f"this operator takes {n} arguments, got {len(args)}", at)
        return args

    def scalar(self, node: Any, at: str) -> tuple[Any, Kind]:
        """Check a value: a property, a literal, or casei/accenti of a string; return it and its kind."""
        self._count(at)
        if isinstance(node, dict) and "property" in node:
            name = str(node["property"])
            if name not in self.queryables:
                known = ", ".join(sorted(self.queryables))
                raise _fail(f"unknown property '{name}' at {at or '/'}; the queryables are: {known}", at)
            return node, self.queryables[name].kind
        if isinstance(node, dict) and str(node.get("op", "")).lower() in ("casei", "accenti"):
            inner, kind = self.scalar(self._one(list(node.get("args", [])), at), f"{at}/args/0")
            if kind != "string":
                raise _fail(f"{node['op']} applies to text, not to a {kind}", at)
            return {"op": str(node["op"]).lower(), "args": [inner]}, "string"
        literal_kind = _literal_kind(node)
        if literal_kind is None:
            raise _fail(f"unsupported value at {at or '/'}: {json.dumps(node)[:80]}", at)
        return self._literal(node, literal_kind, at), literal_kind

    def _literal(self, node: Any, kind: Kind, at: str) -> Any:
        if kind == "datetime":
            text = str(node.get("timestamp", node.get("date")))
            try:
                if "date" in node:
                    return {"date": date.fromisoformat(text)}
                return {"timestamp": datetime.fromisoformat(text.replace("Z", "+00:00"))}
            except ValueError:
                raise _fail(f"'{text}' at {at or '/'} is not an RFC 3339 date or timestamp", at) from None
        if kind == "geometry":
            return self._geometry(node, at)
        return node

    def _geometry(self, node: dict[str, Any], at: str) -> dict[str, Any]:
        if "bbox" in node:
            box = node["bbox"]
            if len(box) not in (4, 6):
                raise _fail("a bbox has 4 or 6 numbers", at)
            w, s, e, n = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            node = {"type": "Polygon", "coordinates": [ring]}
        geometry = self.to_wgs84(node) if self.to_wgs84 else node
        if not _in_lon_lat_range(geometry):
            raise _fail(
                f"the geometry at {at or '/'} is outside longitude/latitude range (see filter-crs)", at
            )
        try:
            problem = shapely.is_valid_reason(shape(geometry))
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
            problem = "not a GeoJSON geometry"
        if problem != "Valid Geometry":
            raise _fail(f"the geometry at {at or '/'} is invalid: {problem}", at)
        return {"geometry": geometry}

    def _compare(self, op: str, args: list[Any], at: str) -> dict[str, Any]:
        left, right = self._pair(args, at)
        (a, ka), (b, kb) = self.scalar(left, f"{at}/args/0"), self.scalar(right, f"{at}/args/1")
        _same_kind(ka, kb, at)
        if ka in ("geometry", "array") or (op == "like" and ka != "string"):
            raise _fail(f"'{op}' does not apply to a {ka}", at)
        return {"op": op, "args": [a, b]}

    def _between(self, args: list[Any], at: str) -> dict[str, Any]:
        checked = [self.scalar(a, f"{at}/args/{i}") for i, a in enumerate(self._pair(args, at, 3))]
        for _, kind in checked[1:]:
            _same_kind(checked[0][1], kind, at)
        if checked[0][1] not in ("number", "datetime", "string"):
            raise _fail(f"between does not apply to a {checked[0][1]}", at)
        return {"op": "between", "args": [c[0] for c in checked]}

    def _in(self, args: list[Any], at: str) -> dict[str, Any]:
        left, values = self._pair(args, at)
        value, kind = self.scalar(left, f"{at}/args/0")
        if not isinstance(values, list) or not values:
            raise _fail("in takes a value and a non-empty list", f"{at}/args/1")
        items = [self.scalar(v, f"{at}/args/1/{i}") for i, v in enumerate(values)]
        for _, k in items:
            _same_kind(kind, k, at)
        return {"op": "in", "args": [value, [i[0] for i in items]]}

    def _spatial(self, op: str, args: list[Any], at: str) -> dict[str, Any]:
        checked = [self.scalar(a, f"{at}/args/{i}") for i, a in enumerate(self._pair(args, at))]
        for i, (_, kind) in enumerate(checked):
            if kind != "geometry":
                raise _fail(f"{op} compares geometries; argument {i} is a {kind}", f"{at}/args/{i}")
        return {"op": op, "args": [c[0] for c in checked]}

    def _array(self, op: str, args: list[Any], at: str) -> dict[str, Any]:
        out = []
        for i, arg in enumerate(self._pair(args, at)):
            if isinstance(arg, list):
                items = [self.scalar(v, f"{at}/args/{i}/{j}") for j, v in enumerate(arg)]
                if any(k != "string" for _, k in items):
                    raise _fail("array literals hold text values here", f"{at}/args/{i}")
                out.append([v for v, _ in items])
            else:
                value, kind = self.scalar(arg, f"{at}/args/{i}")
                if kind != "array":
                    raise _fail(f"{op} compares arrays; argument {i} is a {kind}", f"{at}/args/{i}")
                out.append(value)
        return {"op": op, "args": out}


def _same_kind(a: Kind, b: Kind, at: str) -> None:
    if a != b:
        raise _fail(f"type mismatch at {at or '/'}: a {a} compared with a {b}", at)


def _positions(coords: Any) -> list[list[float]]:
    if coords and isinstance(coords[0], int | float):
        return [coords]
    return [p for c in coords for p in _positions(c)]


def _in_lon_lat_range(geometry: dict[str, Any]) -> bool:
    parts = geometry.get("geometries")
    if parts is not None:
        return all(_in_lon_lat_range(g) for g in parts)
    points = _positions(geometry.get("coordinates", []))
    return bool(points) and all(-180 <= p[0] <= 180 and -90 <= p[1] <= 90 for p in points)


def queryables_schema(queryables: Mapping[str, Queryable], *, schema_id: str, title: str) -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of the queryables, as Part 3 serves it."""
    props: dict[str, Any] = {}
    for name, q in queryables.items():
        if q.kind == "geometry":
            prop: dict[str, Any] = {"format": "geometry-point"}
        elif q.kind == "datetime":
            prop = {"type": "string", "format": "date-time"}
        elif q.kind == "array":
            prop = {"type": "array", "items": {"type": "string"}}
        else:
            prop = {"type": q.kind}
        prop["description"] = q.description
        if q.enum:
            prop["enum"] = list(q.enum)
        props[name] = {"title": name} | prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "type": "object",
        "title": title,
        "properties": props,
        "additionalProperties": False,
    }
