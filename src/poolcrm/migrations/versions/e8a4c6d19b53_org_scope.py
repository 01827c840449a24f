"""Issue 22: org_scope — ORG-2's subtree of every user as rows, for an indexed visibility join

Revision ID: e8a4c6d19b53
Revises: d5f2b8c4e017
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e8a4c6d19b53"
down_revision = "d5f2b8c4e017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_scope",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("descendant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ancestor_id"], ["users.id"], name=op.f("fk_org_scope_ancestor_id_users")),
        sa.ForeignKeyConstraint(
            ["descendant_id"], ["users.id"], name=op.f("fk_org_scope_descendant_id_users")
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id", name=op.f("pk_org_scope")),
    )
    op.create_index(op.f("ix_org_scope_descendant_id"), "org_scope", ["descendant_id"])
    # the existing tree, once (afterwards org.scope keeps it in the flush that changes it);
    # UNION (not UNION ALL) stops at a user already reached
    op.execute(
        """
        INSERT INTO org_scope (ancestor_id, descendant_id)
        WITH RECURSIVE below(ancestor_id, descendant_id) AS (
            SELECT id, id FROM users
            UNION
            SELECT below.ancestor_id, users.id FROM below JOIN users ON users.supervisor_id = below.descendant_id
        )
        SELECT ancestor_id, descendant_id FROM below
        """
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_org_scope_descendant_id"), table_name="org_scope")
    op.drop_table("org_scope")
