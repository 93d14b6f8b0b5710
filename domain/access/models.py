"""Organizations, API keys and the principal a request acts as."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict
from sqlalchemy import Boolean, Column, DateTime, String, false
from sqlmodel import Field, SQLModel

from domain.db.clock import stamp_field


class OrganizationKind(StrEnum):
    national_agency = "national_agency"
    ministry = "ministry"
    province = "province"
    enterprise = "enterprise"
    partner = "partner"


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    viewer = "viewer"
    partner = "partner"
    reviewer = "reviewer"


# The national agency's station powers: every station visible (restricted included) and editable
# directly; admins and reviewers both hold them (a reviewer is not an admin of keys, zones or norms).
NATIONAL_ROLES = (Role.admin, Role.reviewer)
REVIEWED_KINDS = frozenset(
    {OrganizationKind.ministry, OrganizationKind.province, OrganizationKind.enterprise}
)


class OrganizationBase(SQLModel):
    code: str = Field(min_length=2, max_length=32, schema_extra={"pattern": r"^[A-Z0-9][A-Z0-9_-]*$"})
    name: str = Field(min_length=1, max_length=300)
    kind: OrganizationKind
    province: str | None = Field(default=None, max_length=8, description="ISO code when kind=province")


class Organization(OrganizationBase, table=True):
    __tablename__ = "organization"
    code: str = Field(primary_key=True, max_length=32)
    kind: OrganizationKind = Field(sa_column=Column(String(32), nullable=False))
    # the application applies the default by kind (OrganizationCreate); the column's default is for raw inserts
    review_required: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    created_at: datetime = stamp_field()


class OrganizationCreate(OrganizationBase):
    """Body of POST /organizations; created_at and other server-set fields are refused."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    review_required: bool | None = Field(
        default=None,
        description="Editors' station changes wait for a reviewer; default: true for ministries, "
        "provinces and enterprises, false for the national agency and partners",
    )


class OrganizationUpdate(SQLModel):
    """Body of PATCH /organizations/{id} (admins): what may change after creation."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    name: str | None = Field(default=None, min_length=1, max_length=300)
    review_required: bool | None = None


class OrganizationPublic(OrganizationBase):
    review_required: bool
    created_at: datetime


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization: str = Field(foreign_key="organization.code", max_length=32, index=True)
    role: Role = Field(sa_column=Column(String(16), nullable=False))
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = stamp_field()
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    replaced_by: uuid.UUID | None = Field(default=None, foreign_key="api_key.id")


class ApiKeyPublic(SQLModel):
    id: uuid.UUID
    organization: str
    role: Role
    prefix: str
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: uuid.UUID | None = None


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: an organization with a role, through one key (None when anonymous)."""

    organization: str | None
    role: Role | None
    key_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def has_national_powers(self) -> bool:
        """Return True for admins and reviewers: every station visible and directly editable."""
        return self.role in NATIONAL_ROLES

    @property
    def actor(self) -> str:
        return f"{self.organization}/{self.role}/{self.key_id}" if self.key_id else "system"


ANONYMOUS = Principal(organization=None, role=None)
SYSTEM = Principal(organization="SYSTEM", role=Role.admin)
