"""CAL-2 test clock shared by every app process

Revision ID: 8455bc196118
Revises: 0d2327c32b07
Create Date: 2026-12-04 03:44:30.979073
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import poolcrm.db

revision = "8455bc196118"
down_revision = "0d2327c32b07"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("offset_us", sa.BigInteger(), nullable=True),
        sa.Column("frozen_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_clock")),
    )


def downgrade() -> None:
    op.drop_table("test_clock")
