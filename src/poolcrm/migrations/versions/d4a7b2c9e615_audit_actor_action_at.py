"""CUS-7a: the duplicate-check throttle counts a user's lookups of the last minute through an index
of its own (actor, action, time) — it read every lookup of every user (8,472 rows, 2.2 ms, growing
with the audit log) by the action index. The actor's own index is its prefix, and goes.

Revision ID: d4a7b2c9e615
Revises: c8e2f4a6b913
Create Date: 2026-12-05 01:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "d4a7b2c9e615"
down_revision = "c8e2f4a6b913"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_actor_action_at", "audit_entries", ["actor_id", "action", "at"], unique=False)
    op.drop_index("ix_audit_entries_actor_id", table_name="audit_entries")


def downgrade() -> None:
    op.create_index("ix_audit_entries_actor_id", "audit_entries", ["actor_id"], unique=False)
    op.drop_index("ix_audit_actor_action_at", table_name="audit_entries")
