"""Issue 22: ownership_events (rule, at) — the week's recycles and releases counted by rule

Revision ID: c3e9a1f27b40
Revises: b7d1c0e6a9f2
Create Date: 2026-12-04 08:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "c3e9a1f27b40"
down_revision = "b7d1c0e6a9f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ownership_rule_at", "ownership_events", ["rule", "at"])


def downgrade() -> None:
    op.drop_index("ix_ownership_rule_at", table_name="ownership_events")
