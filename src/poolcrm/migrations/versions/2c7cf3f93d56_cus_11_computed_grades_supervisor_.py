"""CUS-11 computed grades: supervisor override, distributor facts

Revision ID: 2c7cf3f93d56
Revises: b1c2d3e4f5a6
Create Date: 2026-12-03 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2c7cf3f93d56"
down_revision = "b1c2d3e4f5a6"
branch_labels = None
depends_on = None

FACTS = ("registered_project", "order_expected_this_year", "agency_agreement", "cooperated_before")


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable): SQLite adds them in place, without copying the customers table.
    op.add_column("customers", sa.Column("grade_override", sa.String(length=20), nullable=True))
    op.add_column("customers", sa.Column("grade_override_reason", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("grade_override_by", sa.Integer(), nullable=True))
    for name in FACTS:
        op.add_column("customers", sa.Column(name, sa.Boolean(), nullable=True))
    # The grades reps typed are not facts: the daily step (customers.grades) recomputes them all.


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for name in (*reversed(FACTS), "grade_override_by", "grade_override_reason", "grade_override"):
            batch_op.drop_column(name)
