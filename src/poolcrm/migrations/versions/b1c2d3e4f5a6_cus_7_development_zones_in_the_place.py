"""CUS-7 (revised): a development zone after a city is part of the place — recompute the normal form
and the name grams of the customers whose name holds one

Revision ID: b1c2d3e4f5a6
Revises: f7b6cf65a3a7
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from poolcrm.customers.dedupe import grams_of_key
from poolcrm.customers.names import DEV_ZONES, name_key

revision = "b1c2d3e4f5a6"
down_revision = "f7b6cf65a3a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    zoned = sa.or_(*(sa.column("name").contains(zone) for zone in DEV_ZONES))
    rows: Sequence[sa.Row[Any, Any, Any]] = conn.execute(
        sa.select(sa.column("id"), sa.column("name"), sa.column("name_key"))
        .select_from(sa.table("customers"))
        .where(zoned)
    ).all()
    for cid, name, old_key in rows:
        new_key = name_key(name)
        if new_key == old_key:
            continue
        conn.execute(sa.text("UPDATE customers SET name_key = :k WHERE id = :id"), {"k": new_key, "id": cid})
        old, new = set(grams_of_key(old_key)), set(grams_of_key(new_key))
        for gram in sorted(old - new):
            conn.execute(
                sa.text("DELETE FROM customer_name_grams WHERE gram = :g AND customer_id = :id"),
                {"g": gram, "id": cid},
            )
        for gram in sorted(new - old):
            conn.execute(
                sa.text("INSERT INTO customer_name_grams (gram, customer_id) VALUES (:g, :id)"),
                {"g": gram, "id": cid},
            )


def downgrade() -> None:
    """The old normal forms are not kept; the new ones match the old ones' customers as well."""
