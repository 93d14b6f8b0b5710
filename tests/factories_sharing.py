"""Test data for sharing: partner keys with agreements, and committed throwaway databases."""

from typing import Any

from sqlmodel import Session

from domain.access.models import SYSTEM, Role
from domain.sharing.models import ShareGrantWrite
from domain.sharing.service import grant_partner_access
from tests.factories import make_key


def make_partner(db: Session, code: str = "PARTNER", grant: dict[str, Any] | None = None) -> dict[str, str]:
    """Return auth headers of a partner key; with `grant`, the organization also gets that agreement."""
    headers = make_key(db, code, Role.partner)
    if grant is not None:
        grant_partner_access(
            db, principal=SYSTEM, organization=code, data=ShareGrantWrite.model_validate(grant)
        )
    return headers
