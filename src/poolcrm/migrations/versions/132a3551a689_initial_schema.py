"""initial schema

Revision ID: 132a3551a689
Revises:
Create Date: 2026-11-25 18:28:54.067418
"""

from __future__ import annotations

from poolcrm.migrations.initial_schema import tables_a, tables_b, teardown

revision = "132a3551a689"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for step in (*tables_a.STEPS, *tables_b.STEPS):
        step()


def downgrade() -> None:
    for step in teardown.STEPS:
        step()
