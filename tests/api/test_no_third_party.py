"""No page the service serves refers to another host, and every page is under a CSP that allows only 'self'.

The crawl starts at every GET route without path parameters and every file under api/web, follows
the same-host links of each HTML, JS and CSS file it gets, and reads src/href/action attributes,
CSS url() and @import, and JS import/importScripts for an http(s) or protocol-relative URL.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

WEB = Path(__file__).resolve().parents[2] / "api" / "web"
HOST = "testserver"
ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset", "manifest"}
CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)['"]?([^'")\s]+)""", re.IGNORECASE)
JS_IMPORT = re.compile(
    r"""(?:\bimport\s*\(\s*|\bimport\s[^'";]*?\bfrom\s*|\bimport\s*|importScripts\s*\(\s*)['"`]([^'"`]+)['"`]"""
)
KINDS = ("text/html", "javascript", "text/css")
ALLOWED_SOURCES = {"'self'", "'none'", "data:", "'unsafe-inline'"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.inline_scripts = 0
        self._in_script = False
        self._in_style = False
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ATTRIBUTES:
                self.refs += (
                    [v.strip().split(" ")[0] for v in value.split(",")] if name == "srcset" else [value]
                )
            if value and name == "style":
                self.styles.append(value)
        self._in_script = tag == "script" and not dict(attrs).get("src")
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1
        if self._in_style:
            self.styles.append(data)


def _foreign(ref: str) -> bool:
    """Return whether a reference points at another host (http(s) or protocol-relative)."""
    parts = urlsplit(urljoin(f"http://{HOST}/", ref.strip()))
    return parts.scheme in ("http", "https") and parts.hostname != HOST


def _references(kind: str, body: str) -> tuple[list[str], int]:
    """Return the references a file of this kind makes, and how many inline scripts it holds."""
    if "html" in kind:
        parser = _Refs()
        parser.feed(body)
        css = [m for style in parser.styles for m in CSS_URL.findall(style)]
        return parser.refs + css, parser.inline_scripts
    if "css" in kind:
        return CSS_URL.findall(body), 0
    return JS_IMPORT.findall(body), 0


def _seeds(client: TestClient) -> set[str]:
    app = client.app
    routes = {
        r.path for r in app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and "GET" in r.methods and "{" not in r.path
    } | {"/docs", "/redoc", "/map"}  # fmt: skip
    files = {p.relative_to(WEB).as_posix() for p in WEB.rglob("*") if p.suffix in (".html", ".js", ".css")}
    served = {f"/map/static/{f}" for f in files} | {
        f"/docs/static/{f}" for f in files if f.startswith(("docs/", "vendor/swagger-ui/", "vendor/redoc/"))
    }
    return routes | served


def crawl(client: TestClient) -> dict[str, tuple[str, list[str], int]]:
    """Return every HTML/JS/CSS URL reached: its content type, references and inline script count."""
    todo, seen, found = sorted(_seeds(client)), set(), {}
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, headers={"Accept": "text/html,*/*"})
        kind = response.headers.get("content-type", "")
        if response.status_code != 200 or not any(k in kind for k in KINDS):
            continue
        refs, inline = _references(kind, response.text)
        found[url] = (kind, refs, inline)
        for ref in refs:
            target = urlsplit(urljoin(f"http://{HOST}{url}", ref))
            if target.hostname == HOST and target.path not in seen:
                todo.append(target.path)
    return found


def test_no_page_script_or_style_the_service_serves_refers_to_another_host(client: TestClient) -> None:
    found = crawl(client)
    assert {"/docs", "/redoc", "/map"} <= set(found)
    kinds = {kind.split(";")[0] for kind, _, _ in found.values()}
    assert {"text/html", "text/css"} <= kinds and any("javascript" in k for k in kinds), kinds
    assert "/docs/static/vendor/swagger-ui/swagger-ui-bundle.js" in found
    assert "/docs/static/vendor/redoc/redoc.standalone.js" in found
    foreign = {url: [r for r in refs if _foreign(r)] for url, (_, refs, _) in found.items()}
    assert not {url: refs for url, refs in foreign.items() if refs}


def test_no_html_page_runs_an_inline_script(client: TestClient) -> None:
    pages = {url: inline for url, (kind, _, inline) in crawl(client).items() if "html" in kind}
    assert pages and all(n == 0 for n in pages.values()), pages


def test_every_page_is_served_under_a_csp_that_allows_only_self(client: TestClient) -> None:
    for path in (
        "/docs",
        "/redoc",
        "/map",
        "/docs/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/nowhere",
    ):
        policy = client.get(path).headers["content-security-policy"]
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        assert directives["default-src"] == ["'self'"] and directives["script-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
        for name, sources in directives.items():
            assert set(sources) <= ALLOWED_SOURCES, (path, name, sources)
            assert "'unsafe-inline'" not in sources or name == "style-src", (name, sources)


def test_the_crawler_sees_a_cdn_reference(client: TestClient) -> None:
    page = '<link href="https://cdn.jsdelivr.net/x.css"><script src="//fonts.example/x.js"></script>'
    refs, _ = _references("text/html", page + '<div style="background: url(https://x.example/a.png)">')
    assert [r for r in refs if _foreign(r)] == [
        "https://cdn.jsdelivr.net/x.css", "//fonts.example/x.js", "https://x.example/a.png"]  # fmt: skip
    assert _foreign(_references("text/css", "@import 'https://fonts.googleapis.com/css';")[0][0])
    assert _references("application/javascript", 'import("https://esm.sh/x")')[0] == ["https://esm.sh/x"]
    assert not _foreign("/docs/static/docs/swagger-init.js") and not _foreign("data:,")
