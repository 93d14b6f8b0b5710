"""Real OGC API - Features clients (GDAL's ogrinfo OAPIF driver, OWSLib) against a real uvicorn.

A database of its own with committed stations and zones is served on 127.0.0.1:18080; each client
lists the collections and reads features inside a bbox, and its counts must match the API's.
"""

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from owslib.ogcapi.features import Features
from pyproj import Transformer
from sqlalchemy import create_engine
from sqlmodel import Session

from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind
from domain.access.service import ensure_organization
from domain.crs.rules import SUPPORTED
from domain.db.spatial import from_geojson
from domain.station.models import StationCreate
from domain.station.service import register_station
from domain.zone.models import PriorityZone
from tests.e2e.ogc_server import serve
from tests.factories import station_body

pytestmark = pytest.mark.e2e
BASE = ""  # set by the server fixture (a free port)
CENTRE = (106.5, 15.0, 109.5, 17.5)  # Hue, Da Nang, Quang Ngai
POINTS = [
    (105.85, 21.03), (106.68, 20.86), (107.59, 16.46), (108.20, 16.05), (108.80, 15.12),
    (109.19, 12.25), (106.70, 10.78), (105.78, 10.03), (108.22, 16.07), (107.08, 16.75),
]  # fmt: skip


def seed(url: str) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        ensure_organization(
            session,
            data=OrganizationCreate(code="NCHMF", name="NCHMF", kind=OrganizationKind.national_agency),
        )
        session.commit()
        for n, (lon, lat) in enumerate(POINTS):
            policy = "restricted" if n == 8 else "recommended" if n % 3 == 0 else "core"
            body = station_body(owner="NCHMF", location={"type": "Point", "coordinates": [lon, lat]},
                                data_policy=policy, status="closed" if n == 9 else "operational")  # fmt: skip
            register_station(session, principal=SYSTEM, data=StationCreate.model_validate(body))
        ring = [[107.0, 15.5], [109.0, 15.5], [109.0, 17.0], [107.0, 17.0], [107.0, 15.5]]
        geom = from_geojson({"type": "MultiPolygon", "coordinates": [[ring]]})
        session.add(PriorityZone(code="Z-CENTRE", name="Miền Trung", category="coastal", geom=geom))
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Serve a seeded database of its own with uvicorn; stop and drop everything after."""
    global BASE
    with serve("ogc_e2e", seed) as base:
        BASE = base
        yield base


def api_count(collection: str, bbox: tuple[float, ...] | None = None) -> int:
    params: dict[str, Any] = {"limit": 1000} | ({"bbox": ",".join(map(str, bbox))} if bbox else {})
    body = httpx.get(f"{BASE}/collections/{collection}/items", params=params).json()
    assert body["numberMatched"] == body["numberReturned"]
    return int(body["numberMatched"])


def ogrinfo(*args: str) -> dict[str, int]:
    """Run ogrinfo on the OGC endpoint; return {layer: feature count}."""
    exe = shutil.which("ogrinfo")
    assert exe, "ogrinfo missing: apt-get install gdal-bin (scripts/apt/sharing.txt)"
    out = subprocess.run(
        [exe, "-ro", "-al", "-so", *args, f"OAPIF:{BASE}"], capture_output=True, text=True, timeout=120,
        env=os.environ | {"GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "OFF"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    layers = re.findall(r"Layer name: (\S+)", out.stdout)
    counts = [int(c) for c in re.findall(r"Feature Count: (\d+)", out.stdout)]
    assert len(layers) == len(counts), out.stdout
    return dict(zip(layers, counts, strict=True))


def test_ogrinfo_lists_both_collections_with_the_api_counts(server: str) -> None:
    counts = ogrinfo()
    assert counts == {"stations": api_count("stations"), "zones": api_count("zones")}
    assert counts["stations"] == 8  # ten stations, less one restricted and one closed


def test_ogrinfo_reads_features_inside_a_bbox(server: str) -> None:
    counts = ogrinfo("-spat", *map(str, CENTRE))
    assert counts["stations"] == api_count("stations", CENTRE) == 3
    assert counts["zones"] == api_count("zones", CENTRE) == 1


def test_owslib_lists_collections_and_reads_items_in_a_bbox(server: str) -> None:
    client = Features(server)
    assert client.conformance()["conformsTo"]
    ids = [c["id"] for c in client.collections()["collections"]]
    assert ids == ["stations", "zones"]
    assert client.collection("stations")["itemType"] == "feature"
    page = client.collection_items("stations", bbox=list(CENTRE), limit=100)
    assert page["numberMatched"] == len(page["features"]) == api_count("stations", CENTRE)
    inside = [f["geometry"]["coordinates"] for f in page["features"]]
    assert all(CENTRE[0] <= lon <= CENTRE[2] and CENTRE[1] <= lat <= CENTRE[3] for lon, lat in inside)
    one = client.collection_item("stations", page["features"][0]["id"])
    assert one["id"] == page["features"][0]["id"]


def test_owslib_follows_next_links_to_read_every_feature(server: str) -> None:
    client = Features(server)
    page, seen = client.collection_items("stations", limit=3), []
    while True:
        seen += [f["id"] for f in page["features"]]
        nxt = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        if nxt is None:
            break
        page = httpx.get(nxt).json()
    assert len(seen) == len(set(seen)) == api_count("stations")


def test_ogrinfo_sends_its_where_clause_to_the_server_as_a_filter(server: str) -> None:
    where = "data_policy = 'recommended' AND elevation_m > 5"
    exe = shutil.which("ogrinfo")
    assert exe
    out = subprocess.run(
        [exe, "-ro", "-al", "-so", "-where", where, f"OAPIF:{BASE}", "stations"], capture_output=True, text=True,
        timeout=120, env=os.environ | {"GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "ON"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "filter=" in out.stderr and "filter-lang=cql-text" in out.stderr  # evaluated by the server
    count = int(re.findall(r"Feature Count: (\d+)", out.stdout)[0])
    body = httpx.get(f"{BASE}/collections/stations/items", params={"filter": where, "limit": 1000}).json()
    assert count == body["numberMatched"] == 3  # stations 0, 3 and 6 of seed()


def test_owslib_reads_a_filtered_page_in_vn2000_utm(server: str) -> None:
    client = Features(server)
    utm = "http://www.opengis.net/def/crs/EPSG/0/3405"
    text = f"S_INTERSECTS(geometry, BBOX({','.join(map(str, CENTRE))}))"
    page = client.collection_items("stations", filter=text, crs=utm, limit=100)
    plain = client.collection_items("stations", filter=text, limit=100)
    assert [f["id"] for f in page["features"]] == [f["id"] for f in plain["features"]] and len(
        plain["features"]
    ) == 3
    to_utm = Transformer.from_crs("OGC:CRS84", SUPPORTED[utm].proj, always_xy=True)
    for projected, lonlat in zip(page["features"], plain["features"], strict=True):
        expected = to_utm.transform(*lonlat["geometry"]["coordinates"])
        assert projected["geometry"]["coordinates"] == pytest.approx(list(expected), abs=0.01)
