"""Bulk station import, pure core: decode, parse CSV or GeoJSON, report every bad row, tell changes apart."""

from domain.imports.coordinates import AreaPredicate, CoordinateError, parse_coordinate, point_problems
from domain.imports.geojson import parse_geojson
from domain.imports.parsing import parse_csv
from domain.imports.rules import (
    ImportFileUnreadable,
    ImportReport,
    ParsedImport,
    RowError,
    StationRow,
    UploadNotUtf8,
    decode_upload,
    diff_station,
)

__all__ = [
    "AreaPredicate",
    "CoordinateError",
    "ImportFileUnreadable",
    "ImportReport",
    "ParsedImport",
    "RowError",
    "StationRow",
    "UploadNotUtf8",
    "decode_upload",
    "diff_station",
    "parse_coordinate",
    "parse_csv",
    "parse_geojson",
    "point_problems",
]
