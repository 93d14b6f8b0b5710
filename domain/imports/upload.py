"""Uploads to parsed imports: CSV, GeoJSON or WMDR XML, told apart by media type, file name, then content."""

import json
from typing import Literal

from domain.imports.coordinates import AreaPredicate
from domain.imports.geojson import parse_geojson
from domain.imports.parsing import parse_csv
from domain.imports.rules import ImportFileUnreadable, ParsedImport, Upload, decode_upload
from domain.imports.wmdr import looks_like_xml, parse_wmdr

Format = Literal["csv", "geojson"]
CSV_TYPES = frozenset(
    {"text/csv", "application/csv", "text/plain", "text/tab-separated-values", "application/vnd.ms-excel"}
)
JSON_TYPES = frozenset({"application/geo+json", "application/vnd.geo+json", "application/json"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx and .ods are zip archives
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


def upload_format(upload: Upload, text: str) -> Format:
    """Return how to read the upload: its media type, else its file name, else its first character."""
    media = (upload.media_type or "").split(";", 1)[0].strip().lower()
    if media in JSON_TYPES:
        return "geojson"
    if media in CSV_TYPES:
        return "csv"
    name = (upload.filename or "").lower()
    if name.endswith((".geojson", ".json")):
        return "geojson"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "geojson" if text.lstrip().startswith("{") else "csv"


def _is_xml(upload: Upload) -> bool:
    media = (upload.media_type or "").split(";", 1)[0].strip().lower()
    if media in XML_TYPES or (upload.filename or "").lower().endswith(".xml"):
        return True
    return media not in CSV_TYPES | JSON_TYPES and looks_like_xml(upload.data)


def parse_upload(upload: Upload, *, in_area: AreaPredicate) -> ParsedImport:
    """Return the parsed upload; raise ImportFileUnreadable or UploadNotUtf8 when it cannot be read."""
    if upload.data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise ImportFileUnreadable(
            "the file is a spreadsheet workbook (.xlsx/.xls/.ods), not CSV: "
            "save it as 'CSV UTF-8 (Comma delimited)' and upload it again"
        )
    if _is_xml(upload):
        return parse_wmdr(upload.data, in_area=in_area)
    text = decode_upload(upload.data)
    if upload_format(upload, text) == "csv":
        return parse_csv(text, in_area=in_area)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileUnreadable(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            line=exc.lineno,
        ) from None
    return parse_geojson(obj, in_area=in_area)
