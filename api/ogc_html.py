"""HTML pages of the OGC API (f=html, or a browser's Accept): built from the same JSON documents.

Plain HTML with no script and no style attribute or element (the CSP allows only 'self'), and no
external host: links stay on this service, and the map is /map.
"""

import json
from html import escape
from typing import Any

from starlette.requests import Request

HEAD = ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
        '</head><body><header><nav>'
        '<a href="/ogc?f=html">OGC API</a> · <a href="/ogc/collections?f=html">Collections</a> · '
        '<a href="/map">Bản đồ / Map</a> · <a href="/docs">API docs</a></nav></header><main>')  # fmt: skip
TAIL = "</main></body></html>"


def wants_html(request: Request) -> bool:
    """Return True for f=html, or without f when the client's first choice is text/html (a browser)."""
    f = request.query_params.get("f")
    if f is not None:
        return f == "html"
    first = request.headers.get("accept", "").split(",")[0].split(";")[0].strip()
    return first == "text/html"


def html_url(href: str) -> str:
    """Return a link of this service with f=html (its HTML page), other query parameters kept."""
    if "f=" in href:
        return href
    return href + ("&" if "?" in href else "?") + "f=html"


def _page(title: str, body: str) -> str:
    return HEAD.format(title=escape(title)) + f"<h1>{escape(title)}</h1>" + body + TAIL


def _links(links: list[dict[str, str]]) -> str:
    items = []
    for link in links:
        href = (
            link["href"] if link.get("type", "").startswith("application/vnd.oai") else html_url(link["href"])
        )
        label = escape(link.get("title") or link["rel"])
        items.append(f'<li><a href="{escape(href)}">{label}</a> <small>({escape(link["rel"])})</small></li>')
    return "<ul>" + "".join(items) + "</ul>"


def landing(doc: dict[str, Any]) -> str:
    """Return the landing page as HTML."""
    return _page(doc["title"], f"<p>{escape(doc['description'])}</p>" + _links(doc["links"]))


def collections(doc: dict[str, Any]) -> str:
    """Return the list of collections as HTML."""
    rows = "".join(
        f'<li><a href="{escape(html_url(c["links"][0]["href"]))}">{escape(c["title"])}</a> — '
        f"{escape(c['description'])}</li>"
        for c in doc["collections"]
    )
    return _page("Collections", f"<ul>{rows}</ul>")


def collection(doc: dict[str, Any]) -> str:
    """Return one collection's description as HTML."""
    crs = "".join(f"<li><code>{escape(c)}</code></li>" for c in doc["crs"])
    body = (f"<p>{escape(doc['description'])}</p>" + _links(doc["links"])
            + f"<h2>CRS</h2><p>storage: <code>{escape(doc['storageCrs'])}</code></p><ul>{crs}</ul>")  # fmt: skip
    return _page(doc["title"], body)


def _cell(value: Any) -> str:
    if isinstance(value, list | dict):
        return escape(json.dumps(value, ensure_ascii=False))
    return "" if value is None else escape(str(value))


def features(doc: dict[str, Any], collection_url: str) -> str:
    """Return a page of features as an HTML table, with its next link."""
    rows = []
    for f in doc["features"]:
        props = f.get("properties") or {}
        href = html_url(f"{collection_url}/items/{f['id']}")
        name = props.get("name") or f["id"]
        rows.append(f'<tr><td><a href="{escape(href)}">{escape(str(name))}</a></td>'
                    f"<td>{_cell(props.get('national_code') or props.get('code'))}</td>"
                    f"<td>{_cell((f.get('geometry') or {}).get('coordinates') if (f.get('geometry') or {}).get('type') == 'Point' else (f.get('geometry') or {}).get('type'))}</td></tr>")  # fmt: skip
    table = "<table><thead><tr><th>name</th><th>code</th><th>geometry</th></tr></thead><tbody>"
    nav = _links([link for link in doc["links"] if link["rel"] == "next"])
    matched = f"<p>{doc.get('numberReturned', 0)} shown" + (
        f" of {doc['numberMatched']}" if "numberMatched" in doc else "") + " · <a href=\"/map\">map</a></p>"  # fmt: skip
    return _page("Features", matched + table + "".join(rows) + "</tbody></table>" + nav)


def feature(doc: dict[str, Any]) -> str:
    """Return one feature as an HTML table of its properties."""
    props = doc.get("properties") or {}
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in props.items())
    geometry = f'<p>geometry: <code>{_cell(doc.get("geometry"))}</code> · <a href="/map">map</a></p>'
    return _page(
        str(props.get("name") or doc.get("id")), geometry + f"<table>{rows}</table>" + _links(doc["links"])
    )


def conformance(doc: dict[str, Any]) -> str:
    """Return the conformance declaration as HTML."""
    return _page(
        "Conformance",
        "<ul>" + "".join(f"<li><code>{escape(c)}</code></li>" for c in doc["conformsTo"]) + "</ul>",
    )


def queryables(doc: dict[str, Any]) -> str:
    """Return a collection's queryables as an HTML table."""
    rows = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(p.get('type') or p.get('format', ''))}</td>"
        f"<td>{escape(p.get('description', ''))}</td><td>{_cell(p.get('enum'))}</td></tr>"
        for name, p in doc["properties"].items()
    )
    return _page(doc["title"], f'<table>{rows}</table><p><a href="/map">map</a></p>')
