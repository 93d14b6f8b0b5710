"""Pure access rules: key format and hashing, who may read or change what."""

import hashlib
import secrets
from datetime import datetime, timedelta

from domain.access.models import REVIEWED_KINDS, OrganizationKind, Principal, Role
from domain.errors import AccessDenied, RuleViolation

KEY_PREFIX = "hm"
MAX_GRACE_S = 30 * 24 * 3600  # a rotated key works at most 30 days more


def new_key() -> tuple[str, str, str]:
    """Return (key, prefix, hash) for a fresh random key; only the hash is stored."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    """Return the SHA-256 hex digest of a key (keys are 256-bit random, so no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_is_live(expires_at: datetime | None, revoked_at: datetime | None, now: datetime) -> bool:
    """Return True when a key is neither revoked nor expired."""
    return revoked_at is None and (expires_at is None or expires_at > now)


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise AccessDenied unless the principal has one of the roles."""
    if principal.role not in roles:
        wanted = ", ".join(r.value for r in roles)
        raise AccessDenied(f"this needs one of the roles: {wanted}", required_roles=[r.value for r in roles])


def require_writer_of(principal: Principal, owner: str) -> None:
    """Raise AccessDenied unless the principal may change a station owned by `owner`."""
    if principal.has_national_powers:
        return
    if principal.role is Role.editor and principal.organization == owner:
        return
    raise AccessDenied("only the owner organization's editors or an admin may change this station")


def can_see_restricted(principal: Principal, owner: str, operator: str | None) -> bool:
    """Return True when the principal may see a restricted station of this owner/operator."""
    if principal.has_national_powers:
        return True
    if principal.role in (Role.editor, Role.viewer):
        return principal.organization in (owner, operator)
    return False


def review_by_default(kind: OrganizationKind) -> bool:
    """Return whether an organization of this kind has its editors' changes reviewed by default."""
    return kind in REVIEWED_KINDS


def is_reviewed(principal: Principal, review_required: bool) -> bool:
    """Return True when the principal's station changes must go through a change request."""
    return review_required and principal.role is Role.editor


def grace_end(now: datetime, grace_s: float, expires_at: datetime | None) -> datetime:
    """Return when a rotated key stops: after the grace period, or at its own expiry if that is sooner.

    Raises:
        RuleViolation: the grace period is negative or longer than MAX_GRACE_S.
    """
    if not 0 <= grace_s <= MAX_GRACE_S:
        raise RuleViolation(
            f"the grace period must be between 0 and {MAX_GRACE_S} seconds (30 days)",
            pointer="#/grace_period_s",
        )
    end = now + timedelta(seconds=grace_s)
    return end if expires_at is None else min(end, expires_at)
