"""GOV-3: backup and restore in one command each (SQLite online backup; pg_dump/pg_restore)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from poolcrm.db import sqlite_file


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


def backup(url: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        src = sqlite3.connect(_sqlite_path(url))
        dst = sqlite3.connect(str(path))
        try:
            src.backup(dst)  # online: consistent even while the app writes
        finally:
            dst.close()
            src.close()
        return path

    args, env = _pg_args(url)
    subprocess.run(
        [_pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(path), *args],
        check=True,
        env={**os.environ, **env},
    )
    return path


def restore(url: str, path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(str(path))
    if url.startswith("sqlite"):
        src = sqlite3.connect(str(path))
        dst = sqlite3.connect(_sqlite_path(url))
        try:
            src.backup(dst)
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
    )
