"""Test data of the wigos area: issue numbers in the register."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_org


def assign_number(
    client: TestClient, admin: dict[str, str], number: int, org: str, db: Session | None = None, **extra: Any
) -> dict[str, Any]:
    """Assign an issue number through the API (registering the organization first when `db` is given)."""
    if db is not None:
        make_org(db, org)
    return _assign(client, admin, number, org, **extra)


def _assign(client: TestClient, admin: dict[str, str], number: int, org: str, **extra: Any) -> dict[str, Any]:
    """Assign an issue number through the API and return the register entry."""
    response = client.post(
        "/api/v1/wigos/issue-numbers", json={"number": number, "organization": org, **extra}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
