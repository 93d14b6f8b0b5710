"""HTML pages of the OGC API: f=html or a browser's Accept; JSON stays the default for clients."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import HUE, make_station

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def hue(db: Session) -> uuid.UUID:
    found = make_station(
        db, "NCHMF", name="Trạm Huế <b>", location={"type": "Point", "coordinates": list(HUE)}
    ).id
    db.commit()
    return found


def pages(station: uuid.UUID) -> list[str]:
    items = "/ogc/collections/stations/items"
    return ["/ogc", "/ogc/", "/ogc/conformance", "/ogc/collections", "/ogc/collections/stations",
            "/ogc/collections/stations/queryables", items, f"{items}/{station}"]  # fmt: skip


def test_every_page_has_html_for_a_browser_and_f_html(client: TestClient, hue: uuid.UUID) -> None:
    for path in pages(hue):
        for r in (client.get(path, headers=BROWSER), client.get(path, params={"f": "html"})):
            assert r.status_code == 200, path
            assert r.headers["content-type"] == "text/html; charset=utf-8"
            assert '<a href="/map">' in r.text


def test_html_has_no_script_no_inline_style_and_no_external_host(client: TestClient, hue: uuid.UUID) -> None:
    for path in pages(hue):
        text = client.get(path, params={"f": "html"}).text
        assert "<script" not in text and "style=" not in text and "<style" not in text
        hosts = set(re.findall(r'(?:href|src)="https?://([^/"]+)', text))
        assert hosts <= {"testserver"}, (path, hosts)


def test_html_escapes_what_the_data_holds(client: TestClient, hue: uuid.UUID) -> None:
    text = client.get(f"/ogc/collections/stations/items/{hue}", params={"f": "html"}).text
    assert "Trạm Huế &lt;b&gt;" in text and "<b>" not in text


def test_json_stays_the_default_for_clients(client: TestClient, hue: uuid.UUID) -> None:
    for path in pages(hue):
        for headers in (
            {},
            {"Accept": "application/json"},
            {"Accept": "*/*"},
            {"Accept": "application/geo+json"},
        ):
            r = client.get(path, headers=headers)
            assert "json" in r.headers["content-type"], (path, headers)
    assert client.get("/ogc", params={"f": "xml"}).status_code == 400


def test_html_pages_link_on_to_html_pages_that_answer(client: TestClient, hue: uuid.UUID) -> None:
    text = client.get("/ogc/collections/stations/items", params={"f": "html", "limit": "1"}).text
    for href in re.findall(r'href="(/ogc[^"]*|http://testserver/ogc[^"]*)"', text):
        href = href.replace("&amp;", "&")
        assert client.get(href).status_code == 200, href
