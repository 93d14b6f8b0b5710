"""Test data for review: an organization under review with an editor, reviewers, and request helpers."""

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import OrganizationKind, Role
from tests.factories import make_key, make_org
from tests.factories_sharing import make_partner

CHANGE_REQUESTS = "/api/v1/change-requests"


@dataclass(frozen=True)
class ReviewWorld:
    """MOT (a ministry under review) and its editor, a national-agency reviewer and admin, a partner."""

    editor: dict[str, str]
    reviewer: dict[str, str]
    admin: dict[str, str]
    partner: dict[str, str]


def make_review_world(db: Session) -> ReviewWorld:
    make_org(db, "MOT", OrganizationKind.ministry, review_required=True)
    make_org(db, "NCHMF", OrganizationKind.national_agency)
    return ReviewWorld(
        editor=make_key(db, "MOT", Role.editor),
        reviewer=make_key(db, "NCHMF", Role.reviewer),
        admin=make_key(db, "NCHMF", Role.admin),
        partner=make_partner(db, "PARTNER", {}),
    )


def submitted(response: Any, kind: str) -> dict[str, Any]:
    """Assert a 202 with a change request of this kind and its Location; return the request."""
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["kind"] == kind and body["status"] == "submitted", body
    assert response.headers["location"].endswith(f"{CHANGE_REQUESTS}/{body['id']}")
    return body


def decide(
    client: TestClient, headers: dict[str, str], request_id: str, verb: str, comment: str | None = None
) -> Any:
    """POST approve or reject on a request, with a comment when given."""
    body = {"comment": comment} if comment is not None else None
    return client.post(f"{CHANGE_REQUESTS}/{request_id}/{verb}", json=body, headers=headers)
