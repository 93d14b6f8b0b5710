"""Use cases of access: organizations and API keys."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access import queries
from domain.access.cache import CachedKey, KeyCache
from domain.access.models import ApiKey, Organization, OrganizationCreate, OrganizationUpdate, Principal, Role
from domain.access.rules import (
    grace_end,
    hash_key,
    is_reviewed,
    key_is_live,
    new_key,
    require_role,
    review_by_default,
)
from domain.errors import AccessDenied, Conflict, NotFound, Unauthenticated


class OrganizationNotFound(NotFound):
    code = "organization-not-found"
    title = "Organization not found"


class DuplicateOrganization(Conflict):
    code = "duplicate-organization"
    title = "Organization code already used"


class ApiKeyNotFound(NotFound):
    code = "api-key-not-found"
    title = "API key not found"


def get_organization(session: Session, *, code: str) -> Organization:
    """Return the organization or raise OrganizationNotFound."""
    org = session.get(Organization, code)
    if org is None:
        raise OrganizationNotFound(f"no organization with code '{code}'", code=code)
    return org


def list_organizations(session: Session) -> list[Organization]:
    """Return every organization, by code."""
    return queries.select_organizations(session)


def _new_organization(data: OrganizationCreate) -> Organization:
    review = review_by_default(data.kind) if data.review_required is None else data.review_required
    return Organization.model_validate(data.model_dump() | {"review_required": review})


def change_organization(
    session: Session, *, principal: Principal, code: str, data: OrganizationUpdate
) -> Organization:
    """Change an organization's name or whether its editors' changes are reviewed (admins only)."""
    require_role(principal, Role.admin)
    org = get_organization(session, code=code)
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(org, key, value)
    session.commit()
    return org


class ReviewRequired(AccessDenied):
    code = "review-required"
    title = "Changes of this organization are reviewed before they are published"


def needs_review(session: Session, *, principal: Principal) -> bool:
    """Return True when the principal's station changes must be submitted as change requests."""
    if principal.role is not Role.editor or principal.organization is None:
        return False
    org = session.get(Organization, principal.organization)
    return org is not None and is_reviewed(principal, org.review_required)


def check_direct_write(session: Session, *, principal: Principal, approved_by: str | None) -> None:
    """Raise ReviewRequired when the principal may not change published stations without approval."""
    if approved_by is None and needs_review(session, principal=principal):
        raise ReviewRequired(
            f"station changes of {principal.organization} are reviewed: submit them as change requests "
            "(POST/PATCH/DELETE /api/v1/stations or POST /api/v1/imports/stations answer 202 with one)"
        )


def register_organization(
    session: Session, *, principal: Principal, data: OrganizationCreate
) -> Organization:
    """Create an organization (admins only)."""
    require_role(principal, Role.admin)
    org = _new_organization(data)
    session.add(org)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise DuplicateOrganization(f"organization '{data.code}' already exists", code=data.code) from exc
    session.commit()
    return org


def ensure_organization(session: Session, *, data: OrganizationCreate) -> Organization:
    """Create the organization if its code is new (for seeding); no commit."""
    org = session.get(Organization, data.code)
    if org is None:
        org = _new_organization(data)
        session.add(org)
        session.flush()
    return org


def create_key(
    session: Session,
    *,
    organization: str,
    role: Role,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and never shown again."""
    get_organization(session, code=organization)
    secret, prefix, digest = new_key()
    key = ApiKey(
        organization=organization,
        role=role,
        key_hash=digest,
        prefix=prefix,
        label=label,
        expires_at=expires_at,
    )
    session.add(key)
    session.commit()
    return key, secret


def revoke_key(
    session: Session,
    *,
    key_id: uuid.UUID | None = None,
    prefix: str | None = None,
    cache: KeyCache | None = None,
) -> ApiKey:
    """Revoke a key by id or by its public prefix, and tell every process to drop it from its cache.

    The notice goes out with the commit (NOTIFY is transactional); this process's cache is cleared
    at once as well.
    """
    key = queries.select_key(session, key_id=key_id, prefix=prefix)
    if key is None:
        raise ApiKeyNotFound("no such API key")
    key.revoked_at = key.revoked_at or datetime.now(UTC)
    queries.announce_revocation(session, key.id)
    session.commit()
    if cache is not None:
        cache.forget(key.id)
    return key


class KeyNotRotatable(Conflict):
    code = "api-key-not-rotatable"
    title = "This API key cannot be rotated"


def rotate_key(
    session: Session, *, key_id: uuid.UUID, grace_s: float, cache: KeyCache | None = None
) -> tuple[ApiKey, ApiKey, str]:
    """Give a key a successor (same organization, role, label, expiry) and return (old, new, new secret).

    The old key keeps working for `grace_s` seconds (never past its own expiry), then stops; revoking
    it still stops it at once. Raises KeyNotRotatable for a revoked, expired or already rotated key.
    """
    now = datetime.now(UTC)
    old = queries.lock_key(session, key_id)
    if old is None:
        raise ApiKeyNotFound("no such API key", key_id=str(key_id))
    if old.replaced_by is not None:
        raise KeyNotRotatable(f"the key was already rotated; rotate its successor {old.replaced_by}")
    if not key_is_live(old.expires_at, old.revoked_at, now):
        raise KeyNotRotatable("a revoked or expired key cannot be rotated; create a new key instead")
    ends = grace_end(now, grace_s, old.expires_at)
    secret, prefix, digest = new_key()
    new = ApiKey(
        organization=old.organization, role=old.role, key_hash=digest, prefix=prefix,
        label=old.label, expires_at=old.expires_at,
    )  # fmt: skip
    session.add(new)
    session.flush()
    old.replaced_by, old.expires_at = new.id, ends
    session.commit()
    if cache is not None:
        cache.forget(old.id)
    return old, new, secret


def _lookup_key(session: Session, key_hash: str) -> CachedKey | None:
    """Read what a key hash stands for."""
    row = queries.select_key_row(session, key_hash)
    if row is None:
        return None
    principal = Principal(organization=row[0], role=Role(row[1]), key_id=row[2])
    return CachedKey(principal=principal, expires_at=row[3], revoked_at=row[4])


def authenticate_cached(cache: KeyCache, *, secret: str) -> Principal | None:
    """Return the principal from the key cache alone (None when not cached); raise Unauthenticated if dead."""
    entry = cache.get(hash_key(secret))
    if entry is None:
        return None
    if not key_is_live(entry.expires_at, entry.revoked_at, datetime.now(UTC)):
        raise Unauthenticated("the API key is unknown, expired or revoked")
    return entry.principal


def authenticate(session: Session, *, secret: str, cache: KeyCache | None = None) -> Principal:
    """Return the principal a key stands for, or raise Unauthenticated (unknown, expired or revoked).

    Known keys are cached for a few seconds (HYDROMET_KEY_CACHE_TTL_S); expiry is checked on every call.
    """
    digest = hash_key(secret)
    entry = cache.get(digest) if cache is not None else None
    if entry is None:
        generation = cache.generation if cache is not None else None
        entry = _lookup_key(session, digest)
        if entry is not None and cache is not None:
            cache.put(digest, entry, generation)
    if entry is None or not key_is_live(entry.expires_at, entry.revoked_at, datetime.now(UTC)):
        raise Unauthenticated("the API key is unknown, expired or revoked")
    return entry.principal
