"""Audit trail (append-only) and API key rotation.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-05 09:00:00

`audit_event` records admin actions that are not station revisions; a trigger refuses UPDATE, DELETE
and TRUNCATE on it, so nobody (the service's own role included) edits the trail through SQL.
`api_key.replaced_by` names the key that replaced a rotated one (which works until its grace ends).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_organization", sa.String(32), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=True),
        sa.Column("actor_key_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(200), nullable=False),
        sa.Column("organization", sa.String(32), nullable=True),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
    )
    for column in ("at", "actor_organization", "action", "resource", "organization"):
        op.create_index(f"ix_audit_event_{column}", "audit_event", [column])
    op.execute(REFUSE)
    op.execute(
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )
    op.add_column("api_key", sa.Column("replaced_by", sa.Uuid(), nullable=True))
    op.create_foreign_key("api_key_replaced_by_fkey", "api_key", "api_key", ["replaced_by"], ["id"])


def downgrade() -> None:
    op.drop_constraint("api_key_replaced_by_fkey", "api_key", type_="foreignkey")
    op.drop_column("api_key", "replaced_by")
    op.drop_table("audit_event")
    op.execute("DROP FUNCTION audit_event_append_only()")
