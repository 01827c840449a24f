"""FU-4 next follow-up date on the customer row

Revision ID: 309df1fc877d
Revises: c1deea7fe3ff
Create Date: 2026-12-04 02:54:34.725942
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "309df1fc877d"
down_revision = "c1deea7fe3ff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_followup_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_customers_next_followup_on", ["next_followup_on"], unique=False)
    # each customer's latest follow-up's plan (followups.service.refresh_next_planned)
    op.execute(
        "UPDATE customers SET next_followup_on = (SELECT f.next_followup_on FROM followups f"
        " WHERE f.customer_id = customers.id ORDER BY f.created_at DESC, f.id DESC LIMIT 1)"
        " WHERE EXISTS (SELECT 1 FROM followups f WHERE f.customer_id = customers.id"
        " AND f.next_followup_on IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_next_followup_on")
        batch_op.drop_column("next_followup_on")
