"""CUS-18 import: .xlsx (python-calamine) and .csv, with the form's validation and duplicate check
(CUS-1..7, also within the file), a rejected-rows report, and never a half-imported row.

How imported customers are registered (the same path as the form, CUS-9):
- a sales rep importing: every row becomes a `pending` new-customer application of that rep
  (POOL-2 counted row by row), approved by CS as usual — or at once when the rep's department
  skips review;
- admin / CS / GM importing (they own no private pool): the customers go straight to the public
  pool (rule CUS-18), with their ownership event and audit entry.
Rows are checked and written in batches; each batch is one savepoint, and a batch that fails is
replayed row by row, so a row is either whole or absent. The CLI and the import page commit after
every batch: a crash mid-file leaves only whole rows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import KIND_NEW_CUSTOMER, STATUS_APPROVED, STATUS_PENDING, Application
from poolcrm.audit.models import AuditEntry
from poolcrm.customers import bulk, checks, dedupe, names, registration, rules
from poolcrm.customers.import_files import (
    YES,
    ImportFileError,
    ImportResult,
    Rejected,
    convert_values,
    parse_rows,
    read_table,
    report_xlsx,
)
from poolcrm.customers.models import (
    POOL_PENDING,
    POOL_PRIVATE,
    POOL_PUBLIC,
    Customer,
    CustomerNameGram,
    ImportJobRecord,
)
from poolcrm.db import Database, analyze, table_of
from poolcrm.errors import InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import find_user
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.usage import usage_figures
from poolcrm.policy.service import get_policy

BATCH = 1000


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    confirm: bool
    warnings: list[rules.Problem] = field(default_factory=list)
    confirmed: list[dict[str, Any]] = field(default_factory=list)


class Importer:
    """Checks and writes rows batch by batch for one importing user; remembers the file's rows
    already accepted, so duplicates within the file are caught too."""

    def __init__(self, user_id: int, *, confirm_warnings: bool = False, lang: str = "zh") -> None:
        self.user_id = user_id
        self.confirm_all = confirm_warnings
        self.lang = lang
        self.result = ImportResult()
        self.seen_keys: dict[str, list[tuple[int, str]]] = {}
        self.seen_phones: dict[str, int] = {}
        self.room: int | None = None
        self.min_score = 75
        self.roles: list[str] = []

    def _reject(self, row: int, fld: str, reason: str, name: str | None = None) -> None:
        self.result.rejected.append(Rejected(row, fld, reason, name or ""))

    def process(self, session: Session, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
        user = session.get(User, self.user_id)
        assert user is not None
        cells = [(raw.get("name"), raw.get("phone"), raw.get("mobile")) for _, raw in rows]
        text = [tuple(None if v in (None, "") else str(v) for v in row) for row in cells]
        checks.lock_identities(session, [(name, (phone, mobile)) for name, phone, mobile in text])
        self.roles = list(user.roles)
        policy = get_policy(session)
        self.min_score = policy.fuzzy_match_min_score
        to_review = user.has_role(*checks.REGISTRAR_ROLES) and rules.needs_review(
            user.department_id, policy.review_skip_department_ids
        )
        self.result.mode = (
            ("application" if to_review else "private")
            if user.has_role(*checks.REGISTRAR_ROLES)
            else "public"
        )
        if self.room is None and user.has_role(*checks.REGISTRAR_ROLES):
            today = clock.today(policy.timezone)
            owned, pending, limit = usage_figures(session, user, today)
            self.room = limit - owned - pending
        checked: list[_Row] = []
        for number, raw in rows:
            self.result.total += 1
            row = self._check(session, number, raw)
            if row is not None:
                checked.append(row)
        matches = dedupe.find_duplicates_many(
            session,
            [
                dedupe.Query(
                    r.values["name"], dedupe.phone_keys(r.values.get("phone"), r.values.get("mobile"))
                )
                for r in checked
            ],
            min_score=policy.fuzzy_match_min_score,
        )
        accepted: list[_Row] = []
        batch_grams: dict[str, list[_Row]] = {}
        for row, found in zip(checked, matches, strict=True):
            if not self._accept_duplicates(row, found, batch_grams):
                continue
            if self.room is not None and self.room <= 0:
                self._reject(
                    row.number,
                    "name",
                    translate("POOL-2: 私海已满，本行未导入", self.lang),
                    row.values["name"],
                )
                continue
            if self.room is not None:
                self.room -= 1
            accepted.append(row)
            for gram in dedupe.grams_of(row.values["name"]):
                batch_grams.setdefault(gram, []).append(row)
        self._write(session, user, accepted, to_review)

    def _check(self, session: Session, number: int, raw: dict[str, Any]) -> _Row | None:
        values, problems = convert_values(raw)
        name = values.get("name")
        if values.get("member_until") is not None:
            refusal = rules.reserved_change_problem(
                {"member_until": values["member_until"]}, self.roles, "导入"
            )
            if refusal:
                problems.append(("member_until", refusal))
        for fld, reason in problems:
            self._reject(number, fld, translate(reason, self.lang), name)
        if problems:
            return None
        try:
            result = checks.check_fields(session, values, lang=self.lang, registering=True)
        except InvalidInput as exc:
            for fld, reason in exc.details.get("fields", {}).items():
                self._reject(number, fld, reason, name)
            return None
        confirm = self.confirm_all or str(raw.get("confirm") or "").strip().lower() in YES
        if result.warnings and not confirm:
            for w in result.warnings:
                self._reject(number, w.field, checks.warning_out(w, self.lang)["message"], name)
            return None
        row = _Row(number, result.values, confirm, result.warnings)
        key = names.name_key(row.values["name"])
        earlier = next(
            (
                n
                for n, other in self.seen_keys.get(key, [])
                if names.is_exact_duplicate(row.values["name"], other)
            ),
            None,
        )  # CUS-7 (revised): one legal entity — the same name in another city is another company
        if earlier is not None:
            self._reject(
                number,
                "name",
                translate("CUS-7: 与文件第 {row} 行重复", self.lang, row=earlier),
                name,
            )
            return None
        self.seen_keys.setdefault(key, []).append((number, row.values["name"]))
        return row

    def _accept_duplicates(
        self, row: _Row, found: list[dedupe.Found], batch_grams: dict[str, list[_Row]]
    ) -> bool:
        name = row.values["name"]
        exact = [f for f in found if f.exact]
        if exact:
            c = exact[0].customer
            self._reject(
                row.number,
                "name",
                translate(
                    "CUS-7: 与已有客户重复：{dup_code} {dup_name}",
                    self.lang,
                    dup_code=c.code,
                    dup_name=c.name,
                ),
                name,
            )
            return False
        similar = [f"{f.customer.code} {f.customer.name}" for f in found]
        phones = dedupe.phone_keys(row.values.get("phone"), row.values.get("mobile"))
        for phone in phones:
            if phone in self.seen_phones:
                similar.append(
                    translate("文件第 {row} 行（电话相同）", self.lang, row=self.seen_phones[phone])
                )
        shared: dict[int, int] = {}
        others: dict[int, _Row] = {}
        grams = dedupe.grams_of(name)
        for gram in grams:
            for other in batch_grams.get(gram, ()):
                shared[other.number] = shared.get(other.number, 0) + 1
                others[other.number] = other
        needed = max(1, (len(grams) + 1) // 2)
        closest = sorted((n for n, k in shared.items() if k >= needed), key=lambda n: -shared[n])[:5]
        for number in closest:
            match = names.compare_names(name, others[number].values["name"])
            if match is not None and match.score >= self.min_score:
                similar.append(translate("文件第 {row} 行", self.lang, row=number))
        if similar and not row.confirm:
            self._reject(
                row.number,
                "name",
                translate(
                    "CUS-7: 疑似重复，请确认后在“确认提示”列填“是”：{items}",
                    self.lang,
                    items="；".join(similar[:5]),
                ),
                name,
            )
            return False
        row.confirmed = [
            {"customer_id": f.customer.id, "code": f.customer.code, "name": f.customer.name, "score": f.score}
            for f in found
        ]
        for phone in phones:
            self.seen_phones.setdefault(phone, row.number)
        return True

    def _write(self, session: Session, user: User, rows: list[_Row], to_review: bool) -> None:
        if not rows:
            return
        try:
            with session.begin_nested():
                ids = self._insert(session, user, rows, to_review)
        except Exception:
            ids = []
            for row in rows:
                try:
                    with session.begin_nested():
                        ids += self._insert(session, user, [row], to_review)
                except Exception as exc:  # the row is refused whole; the file goes on
                    self._reject(
                        row.number,
                        "name",
                        translate("写入失败：{error}", self.lang, error=str(exc).splitlines()[0][:200]),
                        row.values.get("name"),
                    )
        self.result.imported += len(ids)
        self.result.customer_ids += ids

    def _insert(self, session: Session, user: User, rows: list[_Row], to_review: bool) -> list[int]:
        """CUS-18: rows that passed every check become customers, each with its application
        (CUS-9), POOL-12 event and GOV-1 audit entry — set-based statements, not row by row."""
        now = clock.now()
        records = _customer_records(session, user, rows, to_review, now)
        conn = session.connection()
        ids = _insert_customers(conn, records)
        # Plain tuples straight to the driver's executemany (two plain columns, nothing to convert).
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        grams = [
            (g, cid) for cid, rec in zip(ids, records, strict=True) for g in dedupe.posting_grams(rec["name"])
        ]
        if grams:
            conn.exec_driver_sql(
                f"INSERT INTO {CustomerNameGram.__tablename__} (gram, customer_id) VALUES ({mark}, {mark})",
                grams,
            )
        rule = "CUS-9" if user.has_role(*checks.REGISTRAR_ROLES) else "CUS-18"
        _insert_rows(conn, table_of(Application), _application_rows(ids, rows, user, to_review, rule, now))
        if not to_review:
            _insert_rows(conn, table_of(OwnershipEvent), _event_rows(ids, records, user, rule, now))
        _insert_rows(conn, table_of(AuditEntry), _audit_rows(ids, records, rows, user, now))
        return ids


def _customer_records(
    session: Session, user: User, rows: list[_Row], to_review: bool, now: datetime
) -> list[dict[str, Any]]:
    """The customers' rows with fresh codes (CUS-8); without review they enter the importer's pool
    (a rep's private pool, or the public pool for CS)."""
    codes = checks.next_codes(session, len(rows))
    records = []
    for row, code in zip(rows, codes, strict=True):
        values = dict(row.values)
        values["confirmed_warnings"] = [checks.warning_out(w, "zh") for w in row.warnings] or None
        rec = registration.new_customer_row(values, code=code, actor_id=user.id, at=now)
        if not to_review:
            private = user.has_role(*checks.REGISTRAR_ROLES)
            rec.update(
                pool=POOL_PRIVATE if private else POOL_PUBLIC,
                owner_id=user.id if private else None,
                pool_entered_at=now,
                protected_since=now if private else None,
            )
        records.append(rec)
    return records


def _insert_customers(conn: Connection, records: list[dict[str, Any]]) -> list[int]:
    """Core statements (no ORM bulk-insert bookkeeping); ids come back in the rows' order."""
    table = table_of(Customer)
    if conn.dialect.name == "sqlite":
        # `next_codes` wrote, so this transaction holds the write lock: the ids are the ones
        # SQLite would give (max + 1, …), and one executemany replaces a statement per row
        # (SQLAlchemy cannot order RETURNING rows of a multi-row insert on SQLite).
        start = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(start, start + len(records)))
        for rec, cid in zip(records, ids, strict=True):
            rec["id"] = cid
        _insert_rows(conn, table, records)
        return ids
    returning = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(returning, records).scalars())


def _application_rows(
    ids: list[int], rows: list[_Row], user: User, to_review: bool, rule: str, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "kind": KIND_NEW_CUSTOMER,
            "status": STATUS_PENDING if to_review else STATUS_APPROVED,
            "customer_id": cid,
            "applicant_id": user.id,
            "remark": "导入",
            "corrections": None,
            "confirmed_matches": row.confirmed or None,
            "decision_reason": None if to_review else "免审核（导入）",
            "decision_rule": None if to_review else rule,
            "decided_by": None if to_review else user.id,
            "decided_at": None if to_review else now,
            "created_at": now,
        }
        for cid, row in zip(ids, rows, strict=True)
    ]


def _event_rows(
    ids: list[int], records: list[dict[str, Any]], user: User, rule: str, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": cid,
            "at": now,
            "from_owner_id": None,
            "to_owner_id": rec["owner_id"],
            "from_pool": POOL_PENDING,
            "to_pool": rec["pool"],
            "rule": rule,
            "reason": "导入",
            "actor_id": user.id,
        }
        for cid, rec in zip(ids, records, strict=True)
    ]


def _audit_rows(
    ids: list[int], records: list[dict[str, Any]], rows: list[_Row], user: User, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "at": now,
            "actor_id": user.id,
            "action": "customer.import",
            "object_type": "customer",
            "object_id": str(cid),
            "before": None,
            "after": {
                "code": rec["code"],
                "name": rec["name"],
                "pool": rec["pool"],
                "owner_id": rec["owner_id"],
                "confirmed_matches": row.confirmed or None,
            },
            "rule": "CUS-18",
            "reason": None,
        }
        for cid, rec, row in zip(ids, records, rows, strict=True)
    ]


def _insert_rows(conn: Connection, table: Table, records: list[dict[str, Any]]) -> None:
    """Insert dicts that all have the same keys. SQLite: as tuples through the driver's
    `executemany`, each value converted by its column's bind processor as SQLAlchemy would (None
    included: JSON None is stored as `null`), without the Core statement's per-row parameter
    processing, which cost more than SQLite's work. PostgreSQL: the Core statement."""
    if not records:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), records)
        return
    writer = bulk._Writer(conn)
    columns = list(records[0])
    procs = writer.processors(table, columns)
    memos: list[dict[Any, Any]] = [{} for _ in procs]
    rows = []
    for rec in records:
        row = [rec[c] for c in columns]
        for (i, proc), memo in zip(procs, memos, strict=True):
            value = row[i]
            try:
                row[i] = memo[value]
            except KeyError:
                row[i] = memo[value] = proc(value)
            except TypeError:  # unhashable (a list, a dict)
                row[i] = proc(value)
        rows.append(tuple(row))
    writer.insert(table, columns, rows)


def batches(rows: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def import_bytes(
    session: Session,
    user: User,
    filename: str,
    content: bytes,
    *,
    confirm_warnings: bool = False,
    lang: str = "zh",
) -> ImportResult:
    """Import inside the caller's transaction (the API's synchronous import)."""
    try:
        rows, _ = parse_rows(read_table(filename, content))
    except ImportFileError as exc:
        raise InvalidInput({"file": translate(str(exc), lang)}, rule="CUS-18") from exc
    importer = Importer(user.id, confirm_warnings=confirm_warnings, lang=lang)
    for chunk in batches(rows):
        importer.process(session, chunk)
    _finish(session, importer)
    return importer.result


def _finish(session: Session, importer: Importer) -> None:
    if importer.result.imported >= 1000:
        dedupe.refresh_gram_stats(session)
        analyze(session, *bulk.FILLED_TABLES, table_of(Application))


def import_committed(
    db: Database,
    user_id: int,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    confirm_warnings: bool = False,
    lang: str = "zh",
    progress: Callable[[int, int], None] | None = None,
    on_batch: Callable[[Session, int, ImportResult], None] | None = None,
) -> ImportResult:
    """Import with one commit per batch (CLI, import page): only whole rows ever reach the disk.
    `on_batch(session, rows_done, result)` runs inside each batch's transaction (CUS-18a)."""
    importer = Importer(user_id, confirm_warnings=confirm_warnings, lang=lang)
    done = 0
    for chunk in batches(rows):
        with db.transaction() as session:
            importer.process(session, chunk)
            done += len(chunk)
            if on_batch:
                on_batch(session, done, importer.result)
        if progress:
            progress(done, len(rows))
    with db.transaction() as session:
        _finish(session, importer)
    return importer.result


def run_cli_import(db: Database, file: Path, username: str, report_path: Path | None, console: Any) -> int:
    """`poolcrm import customers FILE --as USER [--report PATH]`: 0 all imported, 1 some rows
    rejected (see the report), 2 nothing done (unknown user, unreadable file)."""

    with db.transaction(write=False) as session:
        user = find_user(session, username)
        user_id = user.id if user is not None and user.active else None
    if user_id is None:
        console.print(f"[red]unknown or disabled user: {username}[/red]")
        return 2
    try:
        rows, unknown = parse_rows(read_table(file.name, file.read_bytes()))
    except ImportFileError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    if unknown:
        console.print(f"[yellow]ignored columns: {', '.join(unknown)}[/yellow]")
    columns = (TextColumn("[bold]导入客户"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("import", total=len(rows))
        result = import_committed(
            db, user_id, rows, progress=lambda done, total: bar.update(task, completed=done)
        )
    console.print(
        f"[green]imported {result.imported}[/green] of {result.total} rows "
        f"({result.mode}); rejected rows: {result.rejected_rows}"
    )
    if result.rejected:
        target = report_path or file.with_name(f"{file.stem}-rejected.xlsx")
        target.write_bytes(report_xlsx(result))
        console.print(f"rejected-rows report: {target}")
        for r in result.rejected[:10]:
            console.print(f"  row {r.row} · {r.field}: {r.reason}")
        return 1
    return 0


@dataclass
class ImportJob:
    """A web import as the page shows it (CUS-18a), read from its `import_jobs` row."""

    id: str
    user_id: int
    filename: str
    total: int = 0
    done: int = 0
    state: str = "running"  # running | done | failed | interrupted
    error: str | None = None
    result: ImportResult | None = None
    lang: str = "zh"
    started_at: datetime = field(default_factory=clock.now)


STALE_AFTER = timedelta(minutes=5)
"""A running import whose row has not moved for this long was cut off (a restart): interrupted."""


def _result_of(data: dict[str, Any] | None) -> ImportResult | None:
    if not data:
        return None
    rejected = [
        Rejected(r["row"], r["field"], r["reason"], r.get("name", "")) for r in data.get("rejected", [])
    ]
    return ImportResult(
        total=data.get("total", 0),
        imported=data.get("imported", 0),
        rejected=rejected,
        mode=data.get("mode", ""),
    )


def _job_of(row: ImportJobRecord) -> ImportJob:
    state = row.state
    if state == "running" and clock.now() - row.updated_at > STALE_AFTER:
        state = "interrupted"
    return ImportJob(
        row.id,
        row.user_id,
        row.filename,
        row.total,
        row.done,
        state,
        row.error,
        _result_of(row.result),
        row.lang,
        row.started_at,
    )


def start_job(
    db: Database,
    session: Session,
    user_id: int,
    filename: str,
    content: bytes,
    *,
    confirm_warnings: bool,
    lang: str,
) -> tuple[ImportJob, Callable[[], None]]:
    """CUS-18a: the job's row is written in the caller's transaction; the returned `run` (started
    once that transaction has committed, e.g. as a background task) imports one committed batch at a
    time, each commit also recording how far it got — so the page can say what was imported after
    any interruption, on any app process."""
    rows, _ = parse_rows(read_table(filename, content))
    job_id = uuid.uuid4().hex
    now = clock.now()
    session.add(
        ImportJobRecord(
            id=job_id,
            user_id=user_id,
            filename=filename[:255],
            total=len(rows),
            done=0,
            state="running",
            lang=lang,
            started_at=now,
            updated_at=now,
        )
    )
    session.flush()

    def on_batch(session: Session, done: int, result: ImportResult) -> None:
        session.execute(
            update(ImportJobRecord)
            .where(ImportJobRecord.id == job_id)
            .values(done=done, result=result.summary(), updated_at=clock.now())
        )

    def work() -> None:
        try:
            result = import_committed(
                db, user_id, rows, confirm_warnings=confirm_warnings, lang=lang, on_batch=on_batch
            )
            _close(db, job_id, "done", None, result)
        except Exception as exc:  # reported on the page; committed batches stay whole
            _close(db, job_id, "failed", str(exc)[:300], None)

    def run() -> None:
        threading.Thread(target=work, name=f"import-{job_id[:8]}", daemon=True).start()

    job = ImportJob(job_id, user_id, filename[:255], len(rows), 0, "running", None, None, lang, now)
    return job, run


def _close(db: Database, job_id: str, state: str, error: str | None, result: ImportResult | None) -> None:
    values: dict[str, Any] = {"state": state, "error": error, "updated_at": clock.now()}
    if result is not None:
        values["result"] = result.summary()
    with db.transaction() as session:
        session.execute(update(ImportJobRecord).where(ImportJobRecord.id == job_id).values(**values))


def get_job(db: Database, job_id: str, user_id: int) -> ImportJob | None:
    """The user's own import (another user's answers None, like an unknown id)."""
    with db.transaction(write=False) as session:
        row = session.get(ImportJobRecord, job_id[:32])
        return _job_of(row) if row is not None and row.user_id == user_id else None
