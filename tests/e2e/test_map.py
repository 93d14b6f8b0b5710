"""The web map in a real headless Chromium (Debian's, driven by Playwright) against a real uvicorn
serving a database created, migrated and seeded for this module with the `hydromet` command."""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from domain.db.engine import libpq_url, sqlalchemy_url

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PORT = 18090
BASE = f"http://127.0.0.1:{PORT}"
CHROMIUM = os.environ.get("HYDROMET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SERVER_URL = os.environ.get("HYDROMET_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:55432/postgres")
OPEN_STATUSES = "planned,operational,suspended"
DONG_HOI = {
    "national_code": "QB-RG-014", "name": "Trạm đo mưa Đồng Hới", "network": "specialized",
    "legal_basis": "Decree 38/2016 art. 15", "station_types": ["rain_gauge"], "automation": "automatic",
    "status": "operational", "location": {"type": "Point", "coordinates": [106.62, 17.47]},
    "elevation_m": 12.0, "wigos_ids": ["0-704-1-QB014"], "owner": "MOC", "operator": "MOC",
    "data_policy": "core", "variables": [{"name": "precipitation", "interval_min": 10}],
}  # fmt: skip


def _admin(sql: str) -> None:
    with psycopg.connect(libpq_url(SERVER_URL), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _hydromet(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _wait_healthy(server: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        assert server.poll() is None, "uvicorn exited"
        try:
            if httpx.get(f"{BASE}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become healthy")


@pytest.fixture(scope="module")
def admin_key() -> Iterator[str]:
    """Serve a freshly migrated and seeded database on port 18090; yield an admin key; drop it all after."""
    name = f"hydromet_e2e_map_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin(f"CREATE DATABASE {name}")
    env = dict(os.environ, HYDROMET_DATABASE_URL=sqlalchemy_url(SERVER_URL.rsplit("/", 1)[0] + "/" + name))
    server = None
    try:
        _hydromet(env, "migrate")
        _hydromet(env, "seed")
        key = _hydromet(env, "keys", "create", "--org", "NCHMF", "--role", "admin").strip().splitlines()[-1]
        cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(PORT), "--no-access-log"]  # fmt: skip
        server = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_healthy(server)
        created = httpx.post(f"{BASE}/api/v1/stations", json=DONG_HOI, headers=_auth(key))
        assert created.status_code == 201, created.text
        yield key
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, admin_key: str) -> Iterator[Page]:
    """A fresh browser context (empty storage) whose console errors are kept on `page.errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: _keep_error(errors, m))
    tab.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    tab.errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


def _keep_error(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(f"{message.text} at {message.location.get('url')}")


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _features(path: str, key: str | None = None) -> list[dict[str, Any]]:
    """Return every feature of a GeoJSON list, following its next links."""
    out: list[dict[str, Any]] = []
    url: str | None = BASE + path
    with httpx.Client(headers=_auth(key) if key else {}) as http:
        while url:
            response = http.get(url, headers={"Accept": "application/geo+json"})
            assert response.status_code == 200, response.text
            body = response.json()
            out += body["features"]
            url = next((link["href"] for link in body.get("links", []) if link["rel"] == "next"), None)
    return out


def _ready(page: Page) -> None:
    page.wait_for_selector("body[data-state=ready]", timeout=30_000)


def _open(page: Page, key: str | None = None) -> None:
    page.goto(f"{BASE}/map")
    _ready(page)
    if key:
        page.fill("#key", key)
        page.click("#key-form button[type=submit]")
        _ready(page)
        assert page.text_content("#mode") == "Đang dùng khóa: các trạm trong phạm vi của bạn."


def _shown(page: Page) -> int:
    count = int(page.get_attribute("#count", "data-count") or -1)
    assert page.evaluate("hydrometMap.markerCount()") == count
    return count


def _zone_category(key: str) -> tuple[str, list[dict[str, Any]]]:
    zones = _features("/api/v1/zones", key)
    assert zones, "the seed has priority zones"
    category = sorted({z["properties"]["category"] for z in zones})[0]
    return category, [z for z in zones if z["properties"]["category"] == category]


def test_public_map_loads_without_console_errors(page: Page) -> None:
    _open(page)
    assert page.locator("path.province").count() == 63
    assert page.text_content("#message") == ""
    assert page.text_content("#mode") == "Chế độ công khai: chỉ các trạm được công bố."
    assert page.errors == []  # type: ignore[attr-defined]


def test_map_with_a_key_loads_without_console_errors(page: Page, admin_key: str) -> None:
    _open(page, admin_key)
    assert page.locator("path.province").count() == 63
    assert _shown(page) > 0
    assert page.errors == []  # type: ignore[attr-defined]


def test_public_marker_count_matches_the_public_collection(page: Page) -> None:
    public = [
        f for f in _features("/ogc/collections/stations/items") if f["properties"]["status"] != "closed"
    ]
    _open(page)
    assert _shown(page) == len(public) > 0


def test_public_filters_give_the_same_stations_as_the_public_collection(page: Page) -> None:
    expected = [
        f
        for f in _features("/ogc/collections/stations/items")
        if f["properties"]["network"] == "national"
        and f["properties"]["automation"] == "manual"
        and f["properties"]["status"] != "closed"
    ]
    _open(page)
    page.select_option("select[name=network]", "national")
    page.select_option("select[name=automation]", "manual")
    page.click("#filters button[type=submit]")
    _ready(page)
    assert _shown(page) == len(expected) > 0


def test_marker_count_matches_the_api_with_a_key_and_closed_stations_show_only_when_asked(
    page: Page, admin_key: str
) -> None:
    open_ = _features(f"/api/v1/stations?f=geojson&limit=1000&status={OPEN_STATUSES}", admin_key)
    every = _features("/api/v1/stations?f=geojson&limit=1000", admin_key)
    assert len(every) > len(open_) > 0  # the seed has closed ISD stations
    _open(page, admin_key)
    assert _shown(page) == len(open_)
    page.check("input[name=closed]")
    page.click("#filters button[type=submit]")
    _ready(page)
    assert _shown(page) == len(every)


def test_filters_send_the_apis_own_parameters_and_show_its_count(page: Page, admin_key: str) -> None:
    _open(page, admin_key)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/stations?" in r.url else None)
    page.select_option("select[name=network]", "specialized")
    page.select_option("select[name=type]", "rain_gauge")
    page.select_option("select[name=data_policy]", "core")
    page.click("#filters button[type=submit]")
    _ready(page)
    expected = _features(
        f"/api/v1/stations?f=geojson&network=specialized&type=rain_gauge&data_policy=core&status={OPEN_STATUSES}",
        admin_key,
    )
    assert _shown(page) == len(expected) == 1
    assert all(p in requests[-1] for p in ("network=specialized", "type=rain_gauge", "data_policy=core"))


def test_search_finds_a_station_by_a_name_typed_without_diacritics(page: Page, admin_key: str) -> None:
    _open(page, admin_key)
    page.fill("#search", "tram do mua dong hoi")
    hit = page.locator("#search-results li[data-code='QB-RG-014'] button")
    hit.wait_for()
    assert "Trạm đo mưa Đồng Hới" in hit.inner_text()
    hit.click()
    popup = page.locator(".leaflet-popup .popup[data-station]")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == "Trạm đo mưa Đồng Hới"
    assert "QB-RG-014" in popup.locator("table").inner_text()
    assert "0-704-1-QB014" in popup.locator("table").inner_text()


def _open_popup(page: Page, typed: str, station_id: str) -> Any:
    page.fill("#search", typed)
    page.press("#search", "Enter")
    popup = page.locator(f".leaflet-popup .popup[data-station='{station_id}'][data-complete]")
    popup.wait_for()
    return popup


def _due(key: str, station_id: str) -> list[dict[str, Any]]:
    params = {"station_id": station_id, "within_days": "30", "limit": "1000"}
    response = httpx.get(f"{BASE}/api/v1/maintenance/due", params=params, headers=_auth(key))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_station_popup_shows_its_zones_and_that_nothing_is_due(page: Page, admin_key: str) -> None:
    station = _features("/api/v1/stations?f=geojson&q=QB-RG-014", admin_key)[0]["properties"]
    assert _due(admin_key, station["id"]) == []
    _open(page, admin_key)
    popup = _open_popup(page, "mua dong hoi", station["id"])
    if station["zones"]:
        assert popup.locator("ul.zones li").count() == len(station["zones"])
    else:
        assert "Không thuộc vùng ưu tiên nào" in popup.inner_text()
    text = popup.locator(".maintenance").inner_text()
    assert text == "Không có việc bảo trì nào đến hạn trong 30 ngày tới."
    assert page.errors == []  # type: ignore[attr-defined]


def test_station_popup_lists_the_maintenance_due_as_the_api_does(page: Page, admin_key: str) -> None:
    first = httpx.get(
        f"{BASE}/api/v1/maintenance/due", params={"within_days": "30", "limit": "1"}, headers=_auth(admin_key)
    ).json()["items"]
    assert first, "the seed has equipment with maintenance due"
    items = _due(admin_key, first[0]["station_id"])
    _open(page, admin_key)
    popup = _open_popup(page, first[0]["national_code"], first[0]["station_id"])
    lines = popup.locator(".maintenance li")
    assert lines.count() == len(items)
    assert popup.locator(".maintenance li.overdue").count() == len(
        [i for i in items if i["days_overdue"] > 0]
    )
    if items[0]["days_overdue"] > 0:
        assert f"quá hạn {items[0]['days_overdue']} ngày" in lines.first.inner_text()
    assert page.errors == []  # type: ignore[attr-defined]


def test_toggling_a_zone_layer_draws_it(page: Page, admin_key: str) -> None:
    category, zones = _zone_category(admin_key)
    _open(page, admin_key)
    page.check(f"#zone-layers input[data-category={category}]")
    page.wait_for_selector(f"path.zone-{category}")
    assert page.evaluate(f"hydrometMap.zoneFeatureCount('{category}')") == len(zones)
    page.uncheck(f"#zone-layers input[data-category={category}]")
    page.wait_for_selector(f"path.zone-{category}", state="detached")
    assert page.errors == []  # type: ignore[attr-defined]


def test_public_map_draws_the_public_zones(page: Page) -> None:
    zones = _features("/ogc/collections/zones/items")
    category = sorted({z["properties"]["category"] for z in zones})[0]
    _open(page)
    page.check(f"#zone-layers input[data-category={category}]")
    page.wait_for_selector(f"path.zone-{category}")
    expected = [z for z in zones if z["properties"]["category"] == category]
    assert page.evaluate(f"hydrometMap.zoneFeatureCount('{category}')") == len(expected)
    assert page.errors == []  # type: ignore[attr-defined]


def test_gap_layer_renders_for_a_station_type_and_radius(page: Page, admin_key: str) -> None:
    category, _ = _zone_category(admin_key)
    expected = httpx.get(
        f"{BASE}/api/v1/coverage/gaps",
        params={"type": "synoptic", "zone_category": category, "radius_km": "40"},
        headers=_auth(admin_key),
    )
    assert expected.status_code == 200, expected.text
    assert expected.json()["properties"]["uncovered_area_km2"] > 0
    _open(page, admin_key)
    page.select_option("#gaps select[name=type]", "synoptic")
    page.select_option("#gaps select[name=zone_category]", category)
    page.fill("#gaps input[name=radius_km]", "40")
    page.click("#gaps button[type=submit]")
    page.wait_for_selector("path.gap-layer")
    assert page.evaluate("hydrometMap.gapDrawn()") is True
    area = round(expected.json()["properties"]["uncovered_area_km2"])
    assert f"{area:,}".replace(",", ".") in page.text_content("#gap-result")  # vi-VN digit grouping
    assert page.errors == []  # type: ignore[attr-defined]


def test_gap_layer_asks_for_a_key_on_the_public_map(page: Page) -> None:
    _open(page)
    assert page.text_content("#gap-result") == "Cần khóa API để tính vùng chưa được phủ."
    assert page.is_disabled("#gaps button[type=submit]")


def test_the_key_is_kept_in_session_storage_and_sent_as_a_bearer_token(page: Page, admin_key: str) -> None:
    sent: list[str | None] = []
    page.on("request", lambda r: sent.append(r.headers.get("authorization")) if "/api/v1/" in r.url else None)
    _open(page, admin_key)
    assert page.evaluate("sessionStorage.getItem('hydromet.key')") == admin_key
    assert admin_key not in json.dumps(page.evaluate("Object.entries(localStorage)"))
    assert page.input_value("#key") == ""
    assert sent and set(sent) == {f"Bearer {admin_key}"}
    page.click("#key-clear")
    _ready(page)
    assert page.evaluate("sessionStorage.getItem('hydromet.key')") is None


def test_pending_new_stations_show_only_with_a_key_that_sees_them(page: Page, admin_key: str) -> None:
    made = httpx.post(
        f"{BASE}/api/v1/organizations/MOC/keys", json={"role": "editor"}, headers=_auth(admin_key)
    )
    editor = made.json()["key"]
    body = DONG_HOI | {"national_code": "QB-RG-PEND", "name": "Trạm chờ duyệt", "wigos_ids": []}
    body["location"] = {"type": "Point", "coordinates": [106.5, 17.3]}
    submitted = httpx.post(f"{BASE}/api/v1/stations", json=body, headers=_auth(editor))
    assert submitted.status_code == 202, submitted.text  # MOC is a ministry: seeded under review
    try:
        _open(page)
        assert page.locator("#pending-box").is_hidden()
        _open(page, admin_key)
        page.wait_for_selector("#pending li", timeout=10_000)
        assert "QB-RG-PEND" in (page.text_content("#pending") or "")
        assert page.evaluate("hydrometMap.pendingCount()") == 1
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        withdrawn = httpx.delete(
            f"{BASE}/api/v1/change-requests/{submitted.json()['id']}", headers=_auth(editor)
        )
        assert withdrawn.status_code == 200, withdrawn.text


def test_an_invalid_key_says_so_and_falls_back_to_the_public_map(page: Page) -> None:
    page.goto(f"{BASE}/map")
    _ready(page)
    page.fill("#key", "hm_not-a-real-key")
    page.click("#key-form button[type=submit]")
    _ready(page)
    assert page.text_content("#key-status") == "Khóa không hợp lệ hoặc đã hết hạn."
    assert page.text_content("#mode") == "Chế độ công khai: chỉ các trạm được công bố."
    assert page.evaluate("sessionStorage.getItem('hydromet.key')") is None


def test_the_page_speaks_vietnamese_first_and_english_on_request(page: Page, admin_key: str) -> None:
    _open(page, admin_key)
    assert page.text_content("h1") == "Mạng lưới trạm khí tượng thủy văn"
    page.click("#lang")
    assert page.text_content("h1") == "Hydrometeorological station network"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Disaster-prone" in page.inner_text("#zone-layers")
    assert page.text_content("#count").endswith("stations")
    page.reload()
    _ready(page)
    assert page.text_content("h1") == "Hydrometeorological station network"


def test_seeded_map_screenshot(page: Page, admin_key: str, tmp_path: Path) -> None:
    """Draw the seeded map into a PNG: HYDROMET_MAP_SCREENSHOT names the file (docs/map.png for the
    README), HYDROMET_MAP_SCREENSHOT_ZONES a zone category to draw too (as in the README's picture)."""
    target = Path(os.environ.get("HYDROMET_MAP_SCREENSHOT", tmp_path / "map.png"))
    category = os.environ.get("HYDROMET_MAP_SCREENSHOT_ZONES")
    _open(page, admin_key)
    if category:
        page.check(f"#zone-layers input[data-category={category}]")
        page.wait_for_selector(f"path.zone-{category}")
    page.evaluate("window.scrollTo(0, 0); document.querySelector('#panel').scrollTop = 0")
    page.wait_for_timeout(800)  # let the cluster animation settle
    page.screenshot(path=str(target))
    assert target.stat().st_size > 50_000
    assert page.errors == []  # type: ignore[attr-defined]
