"""Seed step for equipment (to be filled in by the equipment work)."""

from collections.abc import Callable

from sqlmodel import Session


def load(session: Session, progress: Callable[[str], None]) -> None:
    """Load the seeded equipment; idempotent."""
