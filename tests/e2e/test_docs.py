"""/docs and /redoc in a real headless Chromium with every request to another host blocked: both render
the API's operations from the service's own files, with no CSP violation and no script error."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.databases import committed_database
from tests.e2e.test_map import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PORT = 18091
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Serve a migrated database with uvicorn on port 18091 (the docs need no data)."""
    with committed_database("e2e_docs") as url:
        env = dict(os.environ, HYDROMET_DATABASE_URL=url)
        cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(PORT), "--no-access-log"]  # fmt: skip
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(150):
                assert process.poll() is None, "uvicorn exited"
                try:
                    if httpx.get(f"{BASE}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield BASE
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A tab whose requests to any other host are aborted (and kept), as on a closed network."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    blocked: list[str] = []
    problems: list[str] = []

    def only_the_service(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(server).netloc:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_service)
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    tab.blocked, tab.problems = blocked, problems  # type: ignore[attr-defined]
    yield tab
    context.close()


def _loaded_from_elsewhere(page: Page) -> list[str]:
    """Return the src of every element of the rendered page that would load from another host."""
    sources: list[str] = page.eval_on_selector_all("[src]", "els => els.map(e => e.src)")
    return [
        s
        for s in sources
        if urlsplit(s).scheme in ("http", "https") and urlsplit(s).netloc != urlsplit(BASE).netloc
    ]


def test_swagger_ui_renders_the_operations_with_other_hosts_blocked(page: Page) -> None:
    page.goto(f"{BASE}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    assert page.locator(".opblock-summary-path", has_text="/api/v1/stations").count() > 0
    assert page.blocked == [] and page.problems == []  # type: ignore[attr-defined]
    assert _loaded_from_elsewhere(page) == []


def test_redoc_renders_the_operations_with_other_hosts_blocked(page: Page) -> None:
    page.goto(f"{BASE}/redoc")
    page.wait_for_selector("[data-section-id^='tag/']", timeout=30_000)
    assert page.locator("[data-section-id*='operation/']").count() > 20
    assert page.blocked == [] and page.problems == []  # type: ignore[attr-defined]
    assert _loaded_from_elsewhere(page) == []
