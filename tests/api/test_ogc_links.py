"""Every link the OGC API gives, followed from its landing page, answers 200."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import DA_NANG, HUE, make_station

ROOT = "http://testserver/ogc"


def _links(body: Any) -> list[str]:
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "links" and isinstance(value, list):
                found += [link["href"] for link in value if isinstance(link, dict) and "href" in link]
            else:
                found += _links(value)
    elif isinstance(body, list):
        for value in body:
            found += _links(value)
    return found


def test_landing_page_answers_with_and_without_the_trailing_slash(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 200, path
        assert {link["rel"] for link in r.json()["links"]} >= {"self", "service-desc", "conformance", "data"}


def test_every_link_reachable_from_the_landing_page_answers_200(client: TestClient, db: Session) -> None:
    for n in range(3):
        make_station(db, "NCHMF", location={"type": "Point", "coordinates": [HUE[0] + n / 100, HUE[1]]})
    make_station(db, "NCHMF", location={"type": "Point", "coordinates": list(DA_NANG)})
    db.commit()
    seen: set[str] = set()
    todo = [ROOT, ROOT + "/"]
    while todo:
        url = todo.pop()
        if url in seen or not url.startswith(ROOT):
            continue
        seen.add(url)
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 200, f"{url} -> {r.status_code}"
        if "json" in r.headers["content-type"] and "openapi" not in r.headers["content-type"]:
            todo += _links(r.json())
    paths = {u.removeprefix(ROOT).split("?")[0] for u in seen}
    assert paths >= {"", "/", "/api", "/conformance", "/collections", "/collections/stations/items",
                     "/collections/zones/items"}  # fmt: skip
