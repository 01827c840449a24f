"""list search: contact name and pinyin initials indexes

Revision ID: 0d2327c32b07
Revises: 309df1fc877d
Create Date: 2026-12-04 03:04:10.027895
"""

from __future__ import annotations

from alembic import op

revision = "0d2327c32b07"
down_revision = "309df1fc877d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_contact_name", ["contact_name"], unique=False)
        batch_op.create_index("ix_customers_name_initials", ["name_initials"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_name_initials")
        batch_op.drop_index("ix_customers_contact_name")
