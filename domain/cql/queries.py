"""Compile a checked CQL2 filter (domain.cql.rules) to an SQL condition; every literal is a bound parameter.

No text of the filter ever becomes SQL text: property names select columns from the caller's map
(names not in it were refused by the checker), operators select SQLAlchemy operators, and values
are bound. Spatial literals are WGS84 GeoJSON, bound as text and read by ST_GeomFromGeoJSON, so a
spatial predicate on an indexed geometry column is answered from its GiST index.
"""

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY

from domain.cql.rules import Filter

# Vietnamese (and other Latin) letters with their diacritics, and the letters without them: accenti().
ACCENTED = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
PLAIN = "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd"
SPATIAL = {
    "s_intersects": func.ST_Intersects, "s_disjoint": func.ST_Disjoint, "s_contains": func.ST_Contains,
    "s_within": func.ST_Within, "s_touches": func.ST_Touches, "s_crosses": func.ST_Crosses,
    "s_overlaps": func.ST_Overlaps, "s_equals": func.ST_Equals,
}  # fmt: skip


class _Compiler:
    def __init__(self, columns: Mapping[str, ColumnElement[Any]]) -> None:
        self.columns = columns

    def condition(self, node: Any) -> ColumnElement[bool]:
        if isinstance(node, bool):
            return true() if node else false()
        op, args = node["op"], node["args"]
        if op == "and":
            return and_(*(self.condition(a) for a in args))
        if op == "or":
            return or_(*(self.condition(a) for a in args))
        if op == "not":
            return not_(self.condition(args[0]))
        if op == "isnull":
            return self.value(args[0]).is_(None)
        if op == "between":
            return self.value(args[0]).between(self.value(args[1]), self.value(args[2]))
        if op == "in":
            return self.value(args[0]).in_([self.value(v) for v in args[1]])
        if op in SPATIAL:
            return SPATIAL[op](self.value(args[0]), self.value(args[1]))  # type: ignore[no-any-return]
        if op.startswith("a_"):
            return self._array(op, args)
        return self._compare(op, self.value(args[0]), self.value(args[1]))

    def _compare(self, op: str, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[bool]:
        if op == "like":
            return a.like(b)
        compare: dict[str, Any] = {
            "=": a.__eq__, "<>": a.__ne__, "<": a.__lt__, "<=": a.__le__, ">": a.__gt__, ">=": a.__ge__,
        }  # fmt: skip
        result: ColumnElement[bool] = compare[op](b)
        return result

    def _array(self, op: str, args: list[Any]) -> ColumnElement[bool]:
        a, b = (self._array_value(x) for x in args)
        if op == "a_equals":
            equal: ColumnElement[bool] = a == b
            return equal
        if op == "a_contains":
            return a.contains(b)  # type: ignore[no-any-return]
        if op == "a_containedby":
            return a.contained_by(b)  # type: ignore[no-any-return]
        return a.overlap(b)  # type: ignore[no-any-return]

    def _array_value(self, node: Any) -> Any:
        if isinstance(node, list):
            return cast(literal([str(v) for v in node], type_=ARRAY(String)), ARRAY(String))
        return self.value(node)

    def value(self, node: Any) -> ColumnElement[Any]:
        if isinstance(node, dict):
            if "property" in node:
                return self.columns[node["property"]]
            if "geometry" in node:
                geojson = literal(json.dumps(node["geometry"]), type_=String)
                return func.ST_SetSRID(func.ST_GeomFromGeoJSON(geojson), 4326)
            if "timestamp" in node:
                return literal(node["timestamp"], type_=DateTime(timezone=True))
            if "date" in node:
                return func.cast(literal(node["date"].isoformat(), type_=String), DateTime(timezone=True))
            if node.get("op") == "casei":
                return func.lower(self.value(node["args"][0]))
            if node.get("op") == "accenti":
                return func.translate(self.value(node["args"][0]), literal(ACCENTED + ACCENTED.upper()),
                                      literal(PLAIN + PLAIN.upper()))  # fmt: skip
        if isinstance(node, bool):
            return literal(node, type_=Boolean)
        if isinstance(node, int | float):
            return literal(float(node), type_=Float)
        return literal(str(node), type_=String)


def filter_condition(checked: Filter, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
    """Return the SQL condition of a checked filter over these columns (one per queryable)."""
    return _Compiler(columns).condition(checked.tree)
