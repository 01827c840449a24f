"""GOV-3: backup and restore in one command each (SQLite online backup; pg_dump/pg_restore), and
the proof a backup is good: beside each backup a manifest of the row count of every table, taken
from the very snapshot that was backed up, and `verify`, which restores the backup into a scratch
database and compares every table's count with it."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

from poolcrm.db import sqlite_file

REFERENCE_RESTORED = "UPDATE reference_stamp SET n = n + :jump"
"""After a restore the reference data (`db.reference`) is the backup's: a running process must not
take it for what it read before under the same stamp, so the stamp jumps by a random amount (a
database with people in it has its stamp row: adding them counted)."""


def _jump() -> int:
    return secrets.randbelow(2**40) + 1


def _sqlite_path(url: str) -> str:
    db = sqlite_file(url)
    if db is None:
        raise ValueError("SQLite URL has no file")
    return db


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = [
        "-h",
        u.host or "127.0.0.1",
        "-p",
        str(u.port or 5432),
        "-U",
        u.username or "postgres",
        "-d",
        u.database or "",
    ]
    env = {"PGPASSWORD": u.password} if u.password else {}
    return args, env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise FileNotFoundError(f"{name} not found; install postgresql-client")


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _counts(conn: Connection) -> dict[str, int]:
    """Rows per table, read in the connection's snapshot."""
    tables = sorted(inspect(conn).get_table_names())
    return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0) for t in tables}


def _sqlite_counts(path: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return _counts(conn)
    finally:
        engine.dispose()


def backup(url: str, path: Path) -> Path:
    """Write the backup and its manifest (GOV-3). SQLite: `VACUUM INTO` — one read transaction,
    so the copy is the snapshot of one moment and, in WAL mode, writers go on meanwhile. (The
    online backup API restarts from the first page whenever another connection writes: under a
    steady stream of commits a large database never finished.) PostgreSQL: pg_dump of an exported
    snapshot, the counts read in the same snapshot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            src.execute("VACUUM INTO ?", (str(partial),))
        finally:
            src.close()
        os.replace(partial, path)  # a failed or interrupted backup never leaves a file that looks whole
        counts = _sqlite_counts(path)
    else:
        counts = _pg_dump(url, path)
    manifest_path(path).write_text(json.dumps({"tables": counts}, ensure_ascii=False, indent=1))
    return path


def _pg_dump(url: str, path: Path) -> dict[str, int]:
    args, env = _pg_args(url)
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            counts = _counts(conn)
            subprocess.run(
                [_pg_tool("pg_dump"), "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(path), *args],
                check=True,
                env={**os.environ, **env},
                capture_output=True,
            )
            conn.rollback()
    finally:
        engine.dispose()
    return counts


@dataclass
class Verification:
    """GOV-3: what `verify` found — every table's count in the manifest and after the restore."""

    ok: bool
    tables: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    problem: str | None = None

    @property
    def mismatches(self) -> list[str]:
        return sorted(t for t, (want, got) in self.tables.items() if want != got)


def verify(path: Path, server_url: str | None = None) -> Verification:
    """GOV-3: restore the backup into a scratch database (a temporary file for SQLite; a temporary
    database on `server_url`'s server for a PostgreSQL dump), count every table and compare with
    the manifest. Never raises for a bad backup: the answer says what is wrong."""
    if not path.exists():
        return Verification(False, problem=f"找不到备份文件：{path}")
    try:
        expected = json.loads(manifest_path(path).read_text())["tables"]
    except (OSError, ValueError, KeyError):
        return Verification(False, problem="备份清单缺失或损坏（.json）")
    try:
        got = _restored_counts(path, server_url)
    except (sqlite3.DatabaseError, subprocess.CalledProcessError, OSError, ValueError) as exc:
        return Verification(False, problem=f"备份无法恢复：{type(exc).__name__}")
    tables = {t: (expected.get(t), got.get(t)) for t in sorted(set(expected) | set(got))}
    result = Verification(True, tables)
    result.ok = not result.mismatches
    return result


def _restored_counts(path: Path, server_url: str | None) -> dict[str, int]:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3"):
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp) / "verify.db"
            restore(f"sqlite:///{scratch}", path)
            integrity = sqlite3.connect(str(scratch)).execute("PRAGMA integrity_check").fetchone()[0]
            if integrity != "ok":
                raise ValueError(integrity)
            return _sqlite_counts(scratch)
    if not server_url or server_url.startswith("sqlite"):
        raise ValueError("a PostgreSQL dump needs a PostgreSQL server to restore into")
    name = f"poolcrm_verify_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        scratch_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        try:
            restore(scratch_url, path)
            engine = create_engine(scratch_url)
            try:
                with engine.connect() as conn:
                    return _counts(conn)
            finally:
                engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def restore(url: str, path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(str(path))
    if url.startswith("sqlite"):
        src = sqlite3.connect(str(path))
        dst = sqlite3.connect(_sqlite_path(url))
        try:
            src.backup(dst)
            if dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'reference_stamp'").fetchone():
                dst.execute(REFERENCE_RESTORED, {"jump": _jump()})  # (an older backup has no stamp)
                dst.commit()
        finally:
            dst.close()
            src.close()
        return

    args, env = _pg_args(url)
    subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *args,
            str(path),
        ],
        check=True,
        env={**os.environ, **env},
        capture_output=True,
    )
    # pg_restore brings no planner statistics: until autovacuum gets to every table the plans
    # assume them empty (a list search over a million customers planned for a handful of rows).
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if inspect(conn).has_table("reference_stamp"):  # (an older backup has none)
                conn.execute(text(REFERENCE_RESTORED), {"jump": _jump()})
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
