"""Issue 22: an index per sort of the customer list, (column, id), replacing the updated_at one

Revision ID: d5f2b8c4e017
Revises: c3e9a1f27b40
Create Date: 2026-12-04 08:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "d5f2b8c4e017"
down_revision = "c3e9a1f27b40"
branch_labels = None
depends_on = None

# customers.models.SORTED_COLUMNS as of this revision (a migration does not follow the model)
SORTED = ("created_at", "name", "last_valid_followup_at", "updated_at", "status", "grade", "tier")


def upgrade() -> None:
    op.drop_index("ix_customers_updated_at", table_name="customers")
    for column in SORTED:
        op.create_index(f"ix_customers_sort_{column}", "customers", [column, "id"])


def downgrade() -> None:
    for column in SORTED:
        op.drop_index(f"ix_customers_sort_{column}", table_name="customers")
    op.create_index("ix_customers_updated_at", "customers", ["updated_at"])
