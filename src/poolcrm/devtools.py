"""Developer helpers: `python -m poolcrm.devtools new-migration "message"` autogenerates an
Alembic revision by comparing the models with a database migrated to head."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from poolcrm.db import Database
from poolcrm.migrate import alembic_config, upgrade


def new_migration(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'm.db'}")
        upgrade(db)
        cfg = alembic_config(db.url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
        db.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "new-migration":
        print('usage: python -m poolcrm.devtools new-migration "message"')
        sys.exit(2)
    new_migration(sys.argv[2])
