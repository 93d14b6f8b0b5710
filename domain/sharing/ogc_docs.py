"""OGC API - Features documents: landing page, conformance, collections, feature collections, links."""

import json
from datetime import UTC, datetime
from typing import Any

from domain.geo import VIETNAM_BBOX

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
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
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [list(VIETNAM_BBOX)], "crs": CRS84}},
        "links": [
            link(href, "self", title="This collection"),
            link(f"{href}/items", "items", GEOJSON, "The features"),
        ],
    }


def collections(base: str) -> dict[str, Any]:
    """Return the list of collections."""
    return {
        "links": [link(f"{base}/collections", "self", title="This document")],
        "collections": [collection(base, cid) for cid in COLLECTIONS],
    }


def feature_collection(
    features: list[str], *, self_url: str, next_url: str | None, number_matched: int | None
) -> str:
    """Return a GeoJSON FeatureCollection around pre-serialized features, with OGC links and counts."""
    links = [link(self_url, "self", GEOJSON, "This page")]
    if next_url:
        links.append(link(next_url, "next", GEOJSON, "Next page"))
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    matched = f',"numberMatched":{number_matched}' if number_matched is not None else ""
    return (
        '{"type":"FeatureCollection","features":[' + ",".join(features) + "]"
        + f',"timeStamp":"{stamp}"{matched},"numberReturned":{len(features)},"links":'
        + json.dumps(links) + "}"
    )  # fmt: skip


def feature(text: str, *, self_url: str, collection_url: str) -> str:
    """Return one pre-serialized Feature with its self and collection links added."""
    links = [
        link(self_url, "self", GEOJSON, "This feature"),
        link(collection_url, "collection", JSON, "The collection"),
    ]
    return text.rstrip()[:-1] + ',"links":' + json.dumps(links) + "}"
