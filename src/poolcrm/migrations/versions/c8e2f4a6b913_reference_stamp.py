"""Issue 22: `reference_stamp` — reference data (the policy, the calendar, the deal stage table,
who is a sales rep, the org tree …) read once per process while no change has counted here; a
trigger on each reference table counts its changes; FU-4: the follow-ups due today whose reminder
goes to a rep, by an index of their own

Revision ID: c8e2f4a6b913
Revises: b7c3d5e9f120
Create Date: 2026-12-04 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from poolcrm.db import install_reference_triggers

revision = "c8e2f4a6b913"
down_revision = "b7c3d5e9f120"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_stamp",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_stamp")),
    )
    install_reference_triggers(op.execute, op.get_bind().dialect.name)
    op.create_index(
        "ix_followups_remind_next",
        "followups",
        ["remind_user_id", "next_followup_on"],
        unique=False,
        sqlite_where=sa.text("remind_user_id IS NOT NULL"),
        postgresql_where=sa.text("remind_user_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_followups_remind_next", table_name="followups")
    op.drop_table("reference_stamp")
