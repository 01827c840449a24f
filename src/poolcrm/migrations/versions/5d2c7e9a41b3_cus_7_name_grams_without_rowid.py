"""CUS-7 name grams without rowid (SQLite)

The duplicate index `customer_name_grams(gram, customer_id)` is all primary key: on SQLite a
rowid table kept every gram twice (the table and its primary-key index). As a WITHOUT ROWID
table it is stored once, keyed by (gram, customer_id): half the bytes written on every load and
half the pages read. PostgreSQL tables have no rowid; nothing changes there.

Revision ID: 5d2c7e9a41b3
Revises: 858a8a846003
Create Date: 2026-11-25 21:05:00
"""

from __future__ import annotations

from alembic import op

revision = "5d2c7e9a41b3"
down_revision = "858a8a846003"
branch_labels = None
depends_on = None


def _rebuild(rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE customer_name_grams_new (gram VARCHAR(8) NOT NULL, customer_id INTEGER NOT NULL, "
        "CONSTRAINT pk_customer_name_grams PRIMARY KEY (gram, customer_id))"
        + ("" if rowid else " WITHOUT ROWID")
    )
    op.execute(
        "INSERT INTO customer_name_grams_new (gram, customer_id) "
        "SELECT gram, customer_id FROM customer_name_grams ORDER BY gram, customer_id"
    )
    op.execute("DROP TABLE customer_name_grams")
    op.execute("ALTER TABLE customer_name_grams_new RENAME TO customer_name_grams")


def upgrade() -> None:
    _rebuild(rowid=False)


def downgrade() -> None:
    _rebuild(rowid=True)
