"""Seed step for zones (to be filled in by the zones work)."""

from collections.abc import Callable

from sqlmodel import Session


def load(session: Session, progress: Callable[[str], None]) -> None:
    """Load the seeded zones; idempotent."""
