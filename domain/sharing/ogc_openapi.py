"""The OpenAPI 3.0 definition of the OGC API - Features part (FastAPI's own document is 3.1)."""

from typing import Any

from domain.crs.rules import SUPPORTED
from domain.sharing.ogc_docs import COLLECTIONS, GEOJSON, JSON

PROBLEM = "application/problem+json"


def _param(name: str, where: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema, **extra}  # fmt: skip


def _parameters(default_limit: int, max_limit: int) -> dict[str, Any]:
    return {
        "collectionId": _param("collectionId", "path", {"type": "string", "enum": list(COLLECTIONS)},
                               "The collection"),
        "featureId": _param("featureId", "path", {"type": "string"}, "The feature (a station id or zone code)"),
        "limit": _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": max_limit,
                                           "default": default_limit},
                        "Page size; larger values are treated as the maximum", style="form", explode=False),
        "bbox": _param("bbox", "query", {"type": "array", "minItems": 4, "maxItems": 6,
                                         "items": {"type": "number"}},
                       "minLon,minLat,maxLon,maxLat (CRS84)", style="form", explode=False),
        "datetime": _param("datetime", "query", {"type": "string"},
                           "RFC 3339 instant or interval (open ends: ..), on updated_at", style="form",
                           explode=False),
        "cursor": _param("cursor", "query", {"type": "string"}, "Opaque position from a next link"),
        "filter": _param("filter", "query", {"type": "string"}, "CQL2 filter on the queryables"),
        "filter-lang": _param("filter-lang", "query", {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"],
                                                       "default": "cql2-text"}, "Language of filter"),
        "filter-crs": _param("filter-crs", "query", {"type": "string", "format": "uri"},
                             "CRS of the filter's geometries (default CRS84)"),
        "sortby": _param("sortby", "query", {"type": "string"}, "+name, -updated_at, ... (one key)"),
        "properties": _param("properties", "query", {"type": "string"}, "Comma-separated properties to return"),
        "crs": _param("crs", "query", {"type": "string", "format": "uri", "enum": list(SUPPORTED)},
                      "CRS of the returned geometries (default CRS84)"),
        "bbox-crs": _param("bbox-crs", "query", {"type": "string", "format": "uri", "enum": list(SUPPORTED)},
                           "CRS of bbox (default CRS84)"),
        "f": _param("f", "query", {"type": "string", "enum": ["json"]}, "Output format"),
    }  # fmt: skip


def _ok(media_type: str, schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"$ref": schema}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    problem = {"content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/problem"}}}}
    text = {400: "Invalid or unknown parameter", 404: "Not found", 429: "Too many requests"}
    return {str(s): {"description": text[s], **problem} for s in statuses}


def _operation(op_id: str, summary: str, params: list[str], ok: dict[str, Any], *errs: int) -> dict[str, Any]:
    return {"get": {"operationId": op_id, "summary": summary, "tags": ["OGC API - Features"],
                    "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
                    "responses": {"200": ok, **_errors(*errs)}}}  # fmt: skip


def _schemas() -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "object"}
    return {
        "problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "instance": {"type": "string"}}},
        "landingPage": obj | {"required": ["links"]},
        "confClasses": obj | {"required": ["conformsTo"],
                              "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "collections": obj | {"required": ["links", "collections"]},
        "collection": obj | {"required": ["id", "links"]},
        "featureCollectionGeoJSON": obj | {"required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "timeStamp": {"type": "string", "format": "date-time"}}},
        "featureGeoJSON": obj | {"required": ["type", "geometry", "properties"], "properties": {
            "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
            "geometry": {"type": "object", "nullable": True}, "properties": {"type": "object", "nullable": True}}},
    }  # fmt: skip


def openapi_document(base: str, *, default_limit: int, max_limit: int) -> dict[str, Any]:
    """Return the OpenAPI 3.0.3 document of the OGC endpoints served under `base`."""
    s = "#/components/schemas/"
    paths = {
        "/": _operation("getLandingPage", "Landing page", ["f"], _ok(JSON, s + "landingPage", "Links"), 400),
        "/conformance": _operation("getConformance", "Conformance classes", ["f"],
                                   _ok(JSON, s + "confClasses", "Conformance classes"), 400),
        "/api": {"get": {"operationId": "getApi", "summary": "This API definition", "tags": ["OGC API - Features"],
                         "responses": {"200": {"description": "OpenAPI 3.0 document",
                                               "content": {JSON: {"schema": {"type": "object"}}}}}}},
        "/collections": _operation("getCollections", "Collections", ["f"],
                                   _ok(JSON, s + "collections", "The collections"), 400),
        "/collections/{collectionId}": _operation("describeCollection", "One collection", ["collectionId", "f"],
                                                  _ok(JSON, s + "collection", "The collection"), 400, 404),
        "/collections/{collectionId}/queryables": _operation(
            "getQueryables", "What a filter may name (JSON Schema)", ["collectionId", "f"],
            {"description": "JSON Schema", "content": {"application/schema+json": {"schema": {"type": "object"}}}},
            400, 404),
        "/collections/{collectionId}/items": _operation(
            "getFeatures", "Features of a collection",
            ["collectionId", "limit", "bbox", "bbox-crs", "datetime", "cursor", "filter", "filter-lang",
             "filter-crs", "sortby", "properties", "crs", "f"],
            _ok(GEOJSON, s + "featureCollectionGeoJSON", "A page of features"), 400, 404, 429),
        "/collections/{collectionId}/items/{featureId}": _operation(
            "getFeature", "One feature", ["collectionId", "featureId", "crs", "f"],
            _ok(GEOJSON, s + "featureGeoJSON", "The feature"), 400, 404, 429),
    }  # fmt: skip
    return {
        "openapi": "3.0.3",
        "info": {"title": "Viet Nam hydromet station registry - OGC API - Features", "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": _parameters(default_limit, max_limit),
            "schemas": _schemas(),
            "securitySchemes": {"partnerKey": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"partnerKey": []}],
    }
