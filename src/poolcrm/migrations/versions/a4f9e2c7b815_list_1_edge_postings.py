"""LIST-1 (issue 22): edge postings — the bigrams of each live record's name outside its normal
form (places, legal forms and the bigrams across their borders), marked, so that a search term
whose core is too short for the normal form's postings reads postings instead of every customer

Revision ID: a4f9e2c7b815
Revises: e8a4c6d19b53
Create Date: 2026-12-04 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from poolcrm.customers.dedupe import EDGE_MARK, edge_grams
from poolcrm.customers.models import TOMBSTONE_POOLS

revision = "a4f9e2c7b815"
down_revision = "e8a4c6d19b53"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    conn = op.get_bind()
    customers = sa.table(
        "customers", sa.column("id"), sa.column("name"), sa.column("name_key"), sa.column("pool")
    )
    grams = sa.table("customer_name_grams", sa.column("gram"), sa.column("customer_id"))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.name_key)
            .where(customers.c.id > last, customers.c.pool.not_in(TOMBSTONE_POOLS))
            .order_by(customers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        edges = [
            {"gram": g, "customer_id": cid} for cid, name, key in rows for g in edge_grams(name or "", key)
        ]
        if edges:
            conn.execute(sa.insert(grams), edges)
        last = rows[-1][0]


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM customer_name_grams WHERE gram LIKE '{EDGE_MARK}%'"))
