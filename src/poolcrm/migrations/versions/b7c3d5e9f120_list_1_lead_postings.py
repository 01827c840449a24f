"""LIST-1 (issue 22): lead postings — an edge bigram that opens a live record's name and holds
nowhere else in it is posted with `LEAD_MARK` instead of `EDGE_MARK` (`#北京` → `^北京` for
北京华瑞科技有限公司), so that a list sorted by name reads the names beginning with a term as a
range of the name index and the rest from the postings

Revision ID: b7c3d5e9f120
Revises: a4f9e2c7b815
Create Date: 2026-12-04 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from poolcrm.customers.dedupe import EDGE_MARK, LEAD_MARK, edge_grams
from poolcrm.customers.models import TOMBSTONE_POOLS

revision = "b7c3d5e9f120"
down_revision = "a4f9e2c7b815"
branch_labels = None
depends_on = None

BATCH = 20000


def _remark(old: str, new: str) -> None:
    """Every live record's lead bigram posted with `old`'s mark is posted with `new`'s; the
    document frequencies of the postings moved are counted again (the duplicate check's table,
    which the search reads to choose its postings)."""
    conn = op.get_bind()
    touched: set[str] = set()
    customers = sa.table(
        "customers", sa.column("id"), sa.column("name"), sa.column("name_key"), sa.column("pool")
    )
    grams = sa.table("customer_name_grams", sa.column("gram"), sa.column("customer_id"))
    change = (
        sa.update(grams)
        .where(grams.c.customer_id == sa.bindparam("cid"), grams.c.gram == sa.bindparam("was"))
        .values(gram=sa.bindparam("now"))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.name_key)
            .where(customers.c.id > last, customers.c.pool.not_in(TOMBSTONE_POOLS))
            .order_by(customers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        moved = [
            {"cid": cid, "was": old + g[1:], "now": new + g[1:]}
            for cid, name, key in rows
            for g in edge_grams(name or "", key)
            if g.startswith(LEAD_MARK)
        ]
        if moved:
            conn.execute(change, moved)
            touched.update(g for row in moved for g in (row["was"], row["now"]))
        last = rows[-1][0]
    stats = sa.table("customer_gram_stats", sa.column("gram"), sa.column("df"))
    for chunk in (sorted(touched)[i : i + 500] for i in range(0, len(touched), 500)):
        conn.execute(sa.delete(stats).where(stats.c.gram.in_(chunk)))
        recount = (
            sa.select(grams.c.gram, sa.func.count()).where(grams.c.gram.in_(chunk)).group_by(grams.c.gram)
        )
        conn.execute(sa.insert(stats).from_select(["gram", "df"], recount))
    if conn.dialect.name == "postgresql":  # the planner's estimates of the postings moved
        conn.execute(sa.text("ANALYZE customer_name_grams, customer_gram_stats"))


def upgrade() -> None:
    _remark(EDGE_MARK, LEAD_MARK)


def downgrade() -> None:
    _remark(LEAD_MARK, EDGE_MARK)
