"""GOV-6 job_runs.started_at: the admin dashboard shows how long the daily job took

Revision ID: b7d1c0e6a9f2
Revises: 4f86a37200b6
Create Date: 2026-12-04 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import poolcrm.db

revision = "b7d1c0e6a9f2"
down_revision = "4f86a37200b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", poolcrm.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("started_at")
