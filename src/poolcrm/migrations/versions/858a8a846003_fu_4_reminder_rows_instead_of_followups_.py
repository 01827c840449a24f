"""FU-4 reminder rows instead of followups.reminded_at

Revision ID: 858a8a846003
Revises: 132a3551a689
Create Date: 2026-11-25 19:04:32.544688
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import poolcrm.db

revision = "858a8a846003"
down_revision = "132a3551a689"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followup_reminders",
        sa.Column("followup_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("sent_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("followup_id", name=op.f("pk_followup_reminders")),
    )
    # Follow-ups already reminded keep that fact as a reminder row.
    day = "date(reminded_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(reminded_at AS DATE)"
    op.execute(
        "INSERT INTO followup_reminders (followup_id, user_id, run_date, sent_at) "
        f"SELECT id, COALESCE(remind_user_id, author_id), {day}, reminded_at "
        "FROM followups WHERE reminded_at IS NOT NULL"
    )
    op.create_index(
        "ix_followups_remind_customer",
        "followups",
        ["customer_id"],
        unique=False,
        sqlite_where=sa.text("remind_user_id IS NOT NULL"),
        postgresql_where=sa.text("remind_user_id IS NOT NULL"),
    )
    op.drop_column("followups", "reminded_at")


def downgrade() -> None:
    op.add_column("followups", sa.Column("reminded_at", poolcrm.db.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE followups SET reminded_at = (SELECT sent_at FROM followup_reminders r WHERE r.followup_id = followups.id)"
    )
    op.drop_index("ix_followups_remind_customer", table_name="followups")
    op.drop_table("followup_reminders")
