"""`poolcrm` command line: init, serve, demo, jobs, import, backup, restore (API.md)."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from poolcrm import clock
from poolcrm.backup import backup, restore, verify
from poolcrm.calendar.service import follow_test_clock
from poolcrm.config import default_db_url, persistent_secret, test_clock_enabled
from poolcrm.customers.bulk import FILLED_TABLES
from poolcrm.customers.importer import run_cli_import
from poolcrm.db import Database
from poolcrm.demo import (
    DEMO_PASSWORD,
    DEMO_USERS,
    STAFF_GROUP,
    STAFF_PER_CS,
    STAFF_PRIVATE,
    DemoPresent,
    run_demo,
    staff_usernames,
)
from poolcrm.errors import AppError
from poolcrm.jobs.scheduler import start_scheduler
from poolcrm.jobs.service import run_daily as run
from poolcrm.migrate import upgrade
from poolcrm.notify.sender import Sender
from poolcrm.org.models import User
from poolcrm.org.schemas import UserIn
from poolcrm.org.service import create_user

app = typer.Typer(help="poolcrm — 公海/私海 CRM", no_args_is_help=True, add_completion=False)
jobs_app = typer.Typer(help="daily jobs", no_args_is_help=True)
import_app = typer.Typer(help="bulk import", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(import_app, name="import")
console = Console()

DbOpt = Annotated[
    str | None, typer.Option("--db", help="database URL (default: $POOLCRM_DB or ./poolcrm.db)")
]


def _db(url: str | None):  # type: ignore[no-untyped-def]

    return Database(url or default_db_url())


def _ensure_admin(db, username: str, password: str) -> bool:  # type: ignore[no-untyped-def]

    with db.transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            return False
        create_user(
            session,
            None,
            UserIn(
                username=username,
                password=password,
                display_name="系统管理员",
                roles=["admin"],
                hired_on=date(2020, 1, 1),
            ),
        )
        return True


@app.command()
def init(
    admin: Annotated[str, typer.Option("--admin", help="first admin's username")] = "admin",
    password: Annotated[str, typer.Option("--password", help="first admin's password")] = "",
    db: DbOpt = None,
) -> None:
    """Create or migrate the database and the first admin; safe to run twice."""

    database = _db(db)
    upgrade(database)
    if password:
        created = _ensure_admin(database, admin, password)
        console.print(f"admin '{admin}' {'created' if created else 'already exists'}")
    console.print(f"[green]database ready[/green]: {database.url}")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    db: DbOpt = None,
    workers: Annotated[int, typer.Option(help="worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Run the web app and API."""

    url = db or default_db_url()
    upgrade(_db(url))
    os.environ["POOLCRM_DB"] = url
    os.environ["POOLCRM_SECRET"] = persistent_secret(url)
    if url.startswith("sqlite") and workers > 1:
        # SQLite has one writer: several processes would queue on its lock (and each would run the
        # scheduler). PostgreSQL is the engine for several app processes.
        console.print(f"[yellow]--workers {workers} ignored on SQLite: one process serves it[/yellow]")
    console.print(f"poolcrm on [bold]http://{host}:{port}[/bold]  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "poolcrm.asgi:app",
        host=host,
        port=port,
        workers=workers if not url.startswith("sqlite") else 1,
        log_level="info",
        # A client (or proxy) keeps a connection between a person's clicks: uvicorn's 5 s closed
        # it under clients that reused it just then (connection resets in the load test).
        timeout_keep_alive=75,
        # HTTP parsed by httptools (C) rather than h11 (Python): 0.5–0.7 ms less of the app's CPU
        # per request under the load test's mix, of 9.4–10.0 (issue 22, `docs/benchmarks.md`).
        # The loop is asyncio's, named so that an installed uvloop changes nothing unmeasured.
        http="httptools",
        loop="asyncio",
        # Under full load a busy worker missed uvicorn's 5 s health ping and was killed with its
        # requests in flight (the load test's dropped connections); a hung worker still goes.
        timeout_worker_healthcheck=60,
    )


@app.command()
def worker(
    db: DbOpt = None,
    once: Annotated[bool, typer.Option("--once", help="send what is due now, then stop")] = False,
) -> None:
    """NOTE-2/NOTE-3: the scheduler and the notification sender without the web app (for
    deployments that run them apart; several workers on PostgreSQL share the outbox)."""

    url = db or default_db_url()
    database = _db(url)
    upgrade(database)
    sender = Sender(database, persistent_secret(url))
    if once:
        console.print(f"sent {sender.drain()} deliveries")
        sender.stop()
        return
    scheduler = start_scheduler(database)
    sender.start()
    console.print("poolcrm worker running (Ctrl+C stops it)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.stop()
        sender.stop()


@app.command()
def demo(
    db: DbOpt = None,
    customers: Annotated[int, typer.Option("--customers", help="extra synthetic customers")] = 0,
    staff: Annotated[
        int,
        typer.Option(
            "--staff",
            min=0,
            max=100_000,
            help=f"extra salespeople (sales0001…, in groups of {STAFF_GROUP} under a supervisor lead001…, "
            f"one more customer service kefu001… per {STAFF_PER_CS}), each claiming up to "
            f"{STAFF_PRIVATE} of the --customers, with follow-ups, deals and service tickets in proportion",
        ),
    ] = 0,
    admin_password: Annotated[str, typer.Option("--admin-password")] = "admin12345",
) -> None:
    """Fill a database with a realistic demo company."""

    database = _db(db)
    upgrade(database)
    created = _ensure_admin(database, "admin", admin_password)
    with Progress(console=console, transient=True) as progress:
        try:
            run_demo(database, customers=customers, staff=staff, progress=progress)
        except DemoPresent as exc:
            console.print(f"[yellow]{exc}[/yellow]")
            return
    if customers:
        database.vacuum(*FILLED_TABLES)
    console.print("[green]demo company ready[/green]")
    # An admin made by `poolcrm init` keeps the password given there: never print one that fails.
    shown = admin_password if created else "(the password given to poolcrm init)"
    console.print(f"  admin / {shown}")
    for username, display, roles, *_ in DEMO_USERS:
        console.print(f"  {username:10} / {DEMO_PASSWORD}   {display} ({', '.join(roles)})")
    if staff:
        sales, leads, kefu = staff_usernames(staff)
        for kind, names in (("销售", sales), ("主管", leads), ("客服", kefu)):
            if names:
                span = names[0] if len(names) == 1 else f"{names[0]}…{names[-1]}"
                console.print(f"  {span} / {DEMO_PASSWORD}   {kind} ×{len(names)}")


@jobs_app.command("run-daily")
def run_daily(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today)")] = None,
    db: DbOpt = None,
) -> None:
    """Run the daily jobs for that date; idempotent."""

    day = None
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            console.print("[red]--as-of must be YYYY-MM-DD[/red]")
            raise typer.Exit(2) from None
        if not clock.in_business_range(day):
            console.print("[red]--as-of must lie between 1900-01-01 and 2199-12-31 (SEC-1)[/red]")
            raise typer.Exit(2)
    database = _db(db)
    if test_clock_enabled():  # CAL-2: the day an admin moved the clock to is "today" here too
        with database.transaction(write=False) as session:
            follow_test_clock(session)
    try:
        result = run(database, day)
    except AppError as exc:  # JOB-1b: a day to come; JOB-1: running on another node
        console.print(f"[red]{exc.render('en')['error']['message']}[/red]")
        raise typer.Exit(2 if exc.status == 422 else 1) from None
    console.print_json(json.dumps(result, ensure_ascii=False, default=str))


@import_app.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")],
    as_user: Annotated[str, typer.Option("--as", help="the importing user")],
    db: DbOpt = None,
    report: Annotated[Path | None, typer.Option("--report", help="write rejected rows to this .xlsx")] = None,
) -> None:
    """Bulk import with the duplicate check (CUS-7, CUS-18), progress bar and error report."""

    code = run_cli_import(_db(db), file, as_user, report, console)
    raise typer.Exit(code)


@app.command("backup")
def backup_cmd(
    path: Annotated[str, typer.Argument(help="where to write the backup, or `verify`")],
    target: Annotated[Path | None, typer.Argument(help="with `verify`: the backup to check")] = None,
    db: DbOpt = None,
) -> None:
    """GOV-3: `backup PATH` writes a backup (and PATH.json, its row counts); `backup verify PATH`
    restores PATH into a scratch database (a PostgreSQL dump: on --db's server) and compares every
    table's row count with the manifest. Exit code 1 when the backup is not good."""

    url = db or default_db_url()
    if path == "verify" and target is not None:
        result = verify(target, url)
        for table, (want, got) in result.tables.items():
            mark = "ok" if want == got else "[red]MISMATCH[/red]"
            console.print(f"  {table:32} {want!s:>10} {got!s:>10}  {mark}")
        if not result.ok:
            console.print(f"[red]backup NOT verified[/red]: {result.problem or ', '.join(result.mismatches)}")
            raise typer.Exit(1)
        console.print(
            f"[green]backup verified[/green]: {len(result.tables)} tables restore with their row counts"
        )
        return
    out = backup(url, Path(path))
    console.print(f"[green]backup written[/green]: {out} ({datetime.now():%Y-%m-%d %H:%M})")


@app.command("restore")
def restore_cmd(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], db: DbOpt = None) -> None:
    """GOV-3: restore the database from PATH (replaces its content)."""

    restore(db or default_db_url(), path)
    console.print("[green]restored[/green]")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
