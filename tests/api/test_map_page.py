"""The map page and its assets: served by the service itself, nothing from another host, no inline script."""

import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

WEB = Path(__file__).resolve().parents[2] / "api" / "web"
OWN_FILES = ["index.html", "app.js", "i18n.js", "app.css"]


class _Links(HTMLParser):
    """Collect script and stylesheet references, and the text of every script element."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.scripts.append(a.get("src") or "")
        if tag == "link" and a.get("rel") == "stylesheet":
            self.styles.append(a.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def _links(client: TestClient) -> _Links:
    parser = _Links()
    parser.feed(client.get("/map").text)
    return parser


def test_map_page_is_served_as_html_under_the_services_csp(client: TestClient) -> None:
    response = client.get("/map")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<main id="map">' in response.text
    assert '<html lang="vi">' in response.text


def test_map_page_has_no_inline_script_and_loads_only_its_own_files(client: TestClient) -> None:
    links = _links(client)
    assert links.inline == []
    assert links.scripts == [
        "/map/static/vendor/leaflet/leaflet.js",
        "/map/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/map/static/i18n.js",
        "/map/static/app.js",
    ]
    assert all(href.startswith("/map/static/") for href in links.styles)


def test_every_file_the_page_links_is_served_with_its_media_type(client: TestClient) -> None:
    links = _links(client)
    for src in links.scripts:
        response = client.get(src)
        assert response.status_code == 200, src
        assert "javascript" in response.headers["content-type"], src
    for href in links.styles:
        response = client.get(href)
        assert response.status_code == 200, href
        assert response.headers["content-type"].startswith("text/css"), href


def test_images_the_leaflet_stylesheet_refers_to_are_served(client: TestClient) -> None:
    css = client.get("/map/static/vendor/leaflet/leaflet.css").text
    images = sorted(set(re.findall(r"url\((images/[^)]+)\)", css)))
    assert images, "leaflet.css refers to its images"
    for image in images:
        response = client.get(f"/map/static/vendor/leaflet/{image}")
        assert response.status_code == 200, image
        assert response.headers["content-type"].startswith("image/"), image


def test_the_pages_own_files_name_no_other_host() -> None:
    for name in OWN_FILES:
        text = (WEB / name).read_text(encoding="utf-8")
        assert re.search(r"https?://", text) is None, name
        assert "//cdn" not in text, name


def test_vendored_libraries_ship_with_their_licences(client: TestClient) -> None:
    leaflet = client.get("/map/static/vendor/leaflet/LICENSE")
    assert leaflet.status_code == 200
    assert "BSD 2-Clause License" in leaflet.text
    cluster = client.get("/map/static/vendor/leaflet.markercluster/MIT-LICENCE.txt")
    assert cluster.status_code == 200
    assert "Permission is hereby granted, free of charge" in cluster.text
    js = client.get("/map/static/vendor/leaflet/leaflet.js").text
    assert 't.version="1.9.4"' in js


def test_page_scripts_revalidate_with_their_etag(client: TestClient) -> None:
    first = client.get("/map/static/app.js")
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/map/static/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_vendored_files_may_be_cached_by_the_browser(client: TestClient) -> None:
    response = client.get("/map/static/vendor/leaflet.markercluster/leaflet.markercluster.js")
    assert response.headers["cache-control"] == "public, max-age=86400"


def test_a_missing_asset_is_a_404_problem_naming_the_file(client: TestClient) -> None:
    response = client.get("/map/static/nothing-here.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert "nothing-here.js" in body["title"]


def test_an_asset_path_cannot_climb_out_of_the_web_folder(client: TestClient) -> None:
    for path in ("/map/static/..%2F..%2Fmain.py", "/map/static/%2E%2E/routers/map.py"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "def create_app" not in response.text


def test_the_map_page_refuses_an_unknown_query_parameter_naming_it(client: TestClient) -> None:
    response = client.get("/map", params={"zoom": "7"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == "zoom"
