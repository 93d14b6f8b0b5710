"""OGC API - Features documents: landing page, conformance, collections, feature collections, links."""

from datetime import UTC, datetime
from typing import Any

import orjson

from domain.cql.rules import Queryable, queryables_schema
from domain.crs.rules import CRS84 as CRS84_URI
from domain.crs.rules import SUPPORTED, Crs, transform_geometry
from domain.geo import VIETNAM_BBOX

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
CRS84 = CRS84_URI
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
_F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
_CQL = "http://www.opengis.net/spec/cql2/1.0/conf/"
# Only what tests/api/test_ogc_filter.py, test_ogc_crs.py and the ogctests run check.
CONFORMANCE = [
    _F1 + "core", _F1 + "geojson", _F1 + "oas30", _F1 + "html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    _F3 + "queryables", _F3 + "filter", _F3 + "features-filter",
    _CQL + "cql2-text", _CQL + "cql2-json", _CQL + "basic-cql2", _CQL + "advanced-comparison-operators",
    _CQL + "case-insensitive-comparison", _CQL + "accent-insensitive-comparison",
    _CQL + "basic-spatial-functions", _CQL + "spatial-functions",
    _CQL + "array-functions",
]  # fmt: skip
COLLECTIONS: dict[str, dict[str, str]] = {
    "stations": {
        "title": "Hydrometeorological stations",
        "description": "Stations of the national registry you may see: without a key the public ones "
        "(data policy core or recommended, not closed); with a partner key, your agreement's scope. "
        "datetime filters on the time of the last change (updated_at).",
    },
    "zones": {
        "title": "Priority zones",
        "description": "Directive 10-CT/TW priority zones (disaster-prone, climate hotspots, coast, sea, "
        "islands). datetime filters on the time of the last change (updated_at).",
    },
}


def link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    """Return one OGC link object."""
    out = {"href": href, "rel": rel, "type": type_}
    return out | {"title": title} if title else out


def landing_page(base: str) -> dict[str, Any]:
    """Return the landing page of the OGC API at `base` (e.g. http://host/ogc)."""
    return {
        "title": "Viet Nam hydromet station registry - OGC API - Features",
        "description": "Public station metadata and priority zones; a partner key shows its agreement's scope.",
        "links": [
            link(base, "self", title="This document"),
            link(f"{base}?f=html", "alternate", "text/html", "This document as HTML"),
            link(f"{base}/api", "service-desc", OPENAPI_30, "The API definition (OpenAPI 3.0)"),
            link(f"{base}/conformance", "conformance", title="Conformance classes"),
            link(f"{base}/collections", "data", title="Collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    """Return the conformance declaration."""
    return {"conformsTo": CONFORMANCE}


def collection(base: str, collection_id: str) -> dict[str, Any]:
    """Return the description of one collection."""
    href = f"{base}/collections/{collection_id}"
    return {
        "id": collection_id,
        **COLLECTIONS[collection_id],
        "itemType": "feature",
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(VIETNAM_BBOX)], "crs": CRS84}},
        "links": [
            link(href, "self", title="This collection"),
            link(f"{href}?f=html", "alternate", "text/html", "This collection as HTML"),
            link(f"{href}/items", "items", GEOJSON, "The features"),
            link(f"{href}/queryables", QUERYABLES_REL, SCHEMA_JSON, "What a filter may name"),
            # the Part 3 draft's relation, which GDAL before 3.7 looks for to filter on the server
            link(f"{href}/queryables", "queryables", SCHEMA_JSON, "What a filter may name (draft relation)"),
        ],
    }


def queryables(url: str, collection_id: str, found: dict[str, Queryable]) -> dict[str, Any]:
    """Return the queryables of a collection as JSON Schema (plus the draft's list, an annotation)."""
    schema = queryables_schema(found, schema_id=url, title=f"Queryables of {collection_id}")
    # the Part 3 draft's form, read by GDAL before 3.7; JSON Schema ignores unknown keywords
    draft = [
        {"id": name, "queryable": name, "type": q.kind} for name, q in found.items() if q.kind != "geometry"
    ]
    return schema | {"queryables": draft}


def _header_url(url: str) -> str:
    return url.replace(",", "%2C").replace(";", "%3B")


def items_headers(self_url: str, collection_url: str, crs: Crs) -> dict[str, str]:
    """Return the headers of an items response: Content-Crs and Link (self, queryables)."""
    links = [
        f'<{_header_url(self_url)}>; rel="self"; type="{GEOJSON}"',
        f'<{collection_url}/queryables>; rel="{QUERYABLES_REL}"; type="{SCHEMA_JSON}"',
    ]
    return {"Content-Crs": f"<{crs.uri}>", "Link": ", ".join(links)}


def reshape(features: list[bytes], crs: Crs, properties: tuple[str, ...] | None) -> list[bytes]:
    """Return features in another CRS and/or with only some properties (unchanged when neither)."""
    if crs.uri == CRS84 and properties is None:
        return features
    out = []
    for text in features:
        f = orjson.loads(text)
        if crs.uri != CRS84 and f.get("geometry"):
            f["geometry"] = transform_geometry(f["geometry"], SUPPORTED[CRS84], crs)
        if properties is not None:
            f["properties"] = {k: v for k, v in (f.get("properties") or {}).items() if k in properties}
        out.append(orjson.dumps(f))
    return out


def collections(base: str) -> dict[str, Any]:
    """Return the list of collections."""
    return {
        "links": [link(f"{base}/collections", "self", title="This document")],
        "collections": [collection(base, cid) for cid in COLLECTIONS],
    }


def feature_collection(
    features: list[bytes], *, self_url: str, next_url: str | None, number_matched: int | None,
    crs: Crs = SUPPORTED[CRS84], properties: tuple[str, ...] | None = None,
) -> bytes:  # fmt: skip
    """Return a GeoJSON FeatureCollection around pre-serialized features (UTF-8), with OGC links and counts.

    The features' bytes go through as the database gave them unless a CRS or properties reshape them.
    """
    features = reshape(features, crs, properties)
    links = [link(self_url, "self", GEOJSON, "This page")]
    if next_url:
        links.append(link(next_url, "next", GEOJSON, "Next page"))
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    matched = f',"numberMatched":{number_matched}' if number_matched is not None else ""
    tail = f'],"timeStamp":"{stamp}"{matched},"numberReturned":{len(features)},"links":'
    return (
        b'{"type":"FeatureCollection","features":['
        + b",".join(features)
        + tail.encode()
        + orjson.dumps(links)
        + b"}"
    )


def feature(text: bytes, *, self_url: str, collection_url: str, crs: Crs = SUPPORTED[CRS84]) -> bytes:
    """Return one pre-serialized Feature (UTF-8) with its self and collection links added."""
    text = reshape([text], crs, None)[0]
    links = [
        link(self_url, "self", GEOJSON, "This feature"),
        link(collection_url, "collection", JSON, "The collection"),
    ]
    return text.rstrip()[:-1] + b',"links":' + orjson.dumps(links) + b"}"
