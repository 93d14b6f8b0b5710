"""Helpers for the station-registry tests: unique organization codes, keyed clients, problem checks."""

import itertools
import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, station_body

API = "/api/v1"
STATIONS = f"{API}/stations"
PROBLEM = "application/problem+json"
_counter = itertools.count(1)


def unique_code(prefix: str = "ORG") -> str:
    """Return an organization code no other test (or test run) uses."""
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6].upper()}"


def keyed(db: Session, role: Role, org: str | None = None) -> tuple[str, dict[str, str]]:
    """Return (organization code, auth headers) for a fresh key of a fresh (or the given) organization."""
    code = org or unique_code(role.value[:3].upper())
    return code, make_key(db, code, role)


def register(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """Register a station over HTTP and return its JSON (asserting 201)."""
    response = client.post(STATIONS, json=station_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_problem(response: httpx.Response, status: int, code: str, *mentions: str) -> dict[str, Any]:
    """Assert a problem+json response of this status and code whose detail or pointer mentions each text."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/{code}"), body
    assert body["status"] == status
    assert body["title"]
    assert body["instance"] == response.request.url.path
    where = " ".join(
        [str(body.get("detail")), str(body.get("pointer")), str(body.get("parameter"))]
        + [str(e.get("pointer")) for e in body.get("errors", [])]
    )
    for text in mentions:
        assert text in where, f"{text!r} not named in {body}"
    return body
