"""Imports: no permanent objects (each import stages its rows in temp tables that end with it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:00:00

See domain/imports/queries.py: COPY into a TEMP table (ON COMMIT DROP), then match, check and write
in SQL in the import's one transaction, so a failed or killed import leaves nothing behind.
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
