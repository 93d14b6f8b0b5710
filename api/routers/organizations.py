"""Organizations (admins manage them) and API keys."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.deps import KeyCacheDep, PrincipalDep, SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from domain.access import service
from domain.access.models import (
    ApiKeyPublic,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationUpdate,
    Role,
)
from domain.access.rules import MAX_GRACE_S, require_role

router = APIRouter(tags=["organizations"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404, 409, 422)


class KeyCreate(BaseModel):
    role: Role
    label: str | None = None
    expires_at: datetime | None = None


class KeyCreated(ApiKeyPublic):
    key: str


class KeyRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_period_s: int = Field(
        86400,
        ge=0,
        le=MAX_GRACE_S,
        description="How long the old key keeps working (seconds, at most 30 days)",
    )


class KeyRotated(KeyCreated):
    replaces: ApiKeyPublic = Field(description="The old key, with the end of its grace period as expires_at")


@router.get("/organizations", response_model=list[OrganizationPublic], responses=ERRORS)
def list_organizations(session: SessionDep, _principal: StaffDep) -> list[OrganizationPublic]:
    return [
        OrganizationPublic.model_validate(o, from_attributes=True)
        for o in service.list_organizations(session)
    ]


@router.post("/organizations", status_code=201, response_model=OrganizationPublic, responses=ERRORS)
def register_organization(
    session: SessionDep, principal: PrincipalDep, data: OrganizationCreate
) -> OrganizationPublic:
    org = service.register_organization(session, principal=principal, data=data)
    return OrganizationPublic.model_validate(org, from_attributes=True)


@router.get("/organizations/{organization_id}", response_model=OrganizationPublic, responses=ERRORS)
def get_organization(session: SessionDep, _principal: StaffDep, organization_id: str) -> OrganizationPublic:
    return OrganizationPublic.model_validate(
        service.get_organization(session, code=organization_id), from_attributes=True
    )


@router.patch("/organizations/{organization_id}", response_model=OrganizationPublic, responses=ERRORS)
def change_organization(
    session: SessionDep, principal: PrincipalDep, organization_id: str, data: OrganizationUpdate
) -> OrganizationPublic:
    org = service.change_organization(session, principal=principal, code=organization_id, data=data)
    return OrganizationPublic.model_validate(org, from_attributes=True)


@router.post(
    "/organizations/{organization_id}/keys", status_code=201, response_model=KeyCreated, responses=ERRORS
)
def create_key(
    session: SessionDep, principal: PrincipalDep, organization_id: str, data: KeyCreate
) -> KeyCreated:
    require_role(principal, Role.admin)
    key, secret = service.create_key(
        session, organization=organization_id, role=data.role, label=data.label, expires_at=data.expires_at
    )
    return KeyCreated(**ApiKeyPublic.model_validate(key, from_attributes=True).model_dump(), key=secret)


@router.delete("/keys/{key_id}", response_model=ApiKeyPublic, responses=ERRORS)
def revoke_key(
    session: SessionDep, principal: PrincipalDep, cache: KeyCacheDep, key_id: uuid.UUID
) -> ApiKeyPublic:
    require_role(principal, Role.admin)
    key = service.revoke_key(session, key_id=key_id, cache=cache)
    return ApiKeyPublic.model_validate(key, from_attributes=True)


@router.post(
    "/keys/{key_id}/rotate",
    status_code=201,
    response_model=KeyRotated,
    responses=ERRORS,
    summary="Rotate a key: a new secret (shown once); the old key works until the grace period ends (admins)",
)
def rotate_key(
    session: SessionDep, principal: PrincipalDep, cache: KeyCacheDep, key_id: uuid.UUID, data: KeyRotation
) -> KeyRotated:
    require_role(principal, Role.admin)
    old, new, secret = service.rotate_key(session, key_id=key_id, grace_s=data.grace_period_s, cache=cache)
    public = ApiKeyPublic.model_validate(new, from_attributes=True).model_dump()
    return KeyRotated(**public, key=secret, replaces=ApiKeyPublic.model_validate(old, from_attributes=True))
