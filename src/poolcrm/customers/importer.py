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

import csv
import io
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.applications.models import KIND_NEW_CUSTOMER, STATUS_APPROVED, STATUS_PENDING, Application
from poolcrm.audit.models import AuditEntry
from poolcrm.customers import bulk, checks, dedupe, names, registration, rules
from poolcrm.customers.exporter import workbook_bytes
from poolcrm.customers.models import POOL_PENDING, POOL_PRIVATE, POOL_PUBLIC, Customer, CustomerNameGram
from poolcrm.db import Database
from poolcrm.errors import InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import find_user
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.usage import limit_for, owned_count, pending_count
from poolcrm.policy.service import get_policy

BATCH = 1000
MAX_ROWS = 200_000
# (field, template header); headers are matched without the "*" and the bracketed hint.
COLUMNS: list[tuple[str, str]] = [
    ("name", "公司全称*"),
    ("address", "经营地址*"),
    ("contact_name", "联系人*"),
    ("phone", "电话*"),
    ("mobile", "手机"),
    ("contact_position", "职位"),
    ("email", "邮箱"),
    ("customer_type", "类型（直客/渠道）"),
    ("industry", "行业"),
    ("region", "地区"),
    ("postal_code", "邮编"),
    ("source", "来源"),
    ("profile", "简介"),
    ("tier", "级别（A/B/C）"),
    ("tags", "标签（用、分隔）"),
    ("remark", "备注"),
    ("member_until", "会员到期（YYYY-MM-DD）"),
    ("confirm", "确认提示（是/否）"),
]
ALIASES = {
    "公司名称": "name",
    "客户名称": "name",
    "名称": "name",
    "地址": "address",
    "联系电话": "phone",
    "座机": "phone",
    "手机号": "mobile",
    "联系人职位": "contact_position",
    "客户类型": "customer_type",
}
TYPE_WORDS = {
    "直客": "direct",
    "直销": "direct",
    "direct": "direct",
    "渠道": "distributor",
    "经销商": "distributor",
    "代理商": "distributor",
    "distributor": "distributor",
}
YES = {"是", "y", "yes", "true", "1", "确认", "√", "x"}
FIELD_LABELS = dict(COLUMNS)


@dataclass
class Rejected:
    row: int
    field: str
    reason: str
    name: str = ""


@dataclass
class ImportResult:
    total: int = 0
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    mode: str = ""

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})

    def summary(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "imported": self.imported,
            "rejected_rows": self.rejected_rows,
            "mode": self.mode,
            "rejected": [
                {"row": r.row, "field": r.field, "reason": r.reason, "name": r.name}
                for r in self.rejected[:1000]
            ],
        }


class ImportFileError(ValueError):
    """The file itself cannot be read (wrong type, no header, too many rows)."""


# --------------------------------------------------------------------------------------------
# reading


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return text or None


def _header_field(title: Any) -> str | None:
    text = str(title or "").strip().replace("*", "")
    for sep in ("（", "("):
        text = text.split(sep)[0].strip()
    for fld, header in COLUMNS:
        if text == header.replace("*", "").split("（")[0] or text == fld:
            return fld
    return ALIASES.get(text)


def read_table(filename: str, content: bytes) -> list[list[Any]]:
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            return [list(r) for r in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine raises its own error types for broken files
            raise ImportFileError(f"无法读取 Excel 文件：{exc}") from exc
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError("CSV 文件编码无法识别（请使用 UTF-8）")
        return [list(r) for r in csv.reader(io.StringIO(text))]
    raise ImportFileError("只支持 .xlsx 和 .csv 文件")


def parse_rows(table: Sequence[Sequence[Any]]) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(row number as shown in Excel, field values) for each non-empty data row."""
    if not table:
        raise ImportFileError("文件是空的")
    fields = [_header_field(t) for t in table[0]]
    if "name" not in fields:
        raise ImportFileError("找不到表头“公司全称”，请使用导入模板")
    unknown = [str(t) for t, f in zip(table[0], fields, strict=False) if f is None and str(t or "").strip()]
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {f: _cell(v) for f, v in zip(fields, raw, strict=False) if f is not None}
        if any(v is not None for v in values.values()):
            rows.append((number, values))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行")
    return rows, unknown


def template_xlsx(lang: str = "zh") -> bytes:
    example = [
        "北京友好创达科技有限公司",
        "北京市海淀区中关村大街1号海龙大厦5楼501室",
        "张三",
        "010-62345678",
        "13800138000",
        "采购经理",
        "zhangsan@example.com",
        "直客",
        "软件",
        "北京",
        "100080",
        "展会",
        "扫描仪用户，年采购约50万",
        "B",
        "重点、华北",
        "",
        "",
        "否",
    ]
    return workbook_bytes([translate(h, lang) for _, h in COLUMNS], [example], "customers")


def report_xlsx(result: ImportResult, lang: str = "zh") -> bytes:
    """The rejected rows: row number, field, reason (CUS-18)."""
    rows = [
        [r.row, translate(FIELD_LABELS.get(r.field, r.field), lang).replace("*", ""), r.name, r.reason]
        for r in result.rejected
    ]
    return workbook_bytes(
        [translate(h, lang) for h in ("行号", "字段", "公司全称", "原因")], rows, "rejected"
    )


# --------------------------------------------------------------------------------------------
# checking and writing


# Text columns without a length (remark) still get a cap, so one cell cannot hold a novel; cells
# that are not customer columns (e.g. tags, written elsewhere) keep a short one.
TEXT_CELL_MAX = 5000
OTHER_CELL_MAX = 100


def _max_length(key: str) -> int:
    """The longest text a cell may hold: the column's own length (the model decides, not a copy)."""
    column = Customer.__table__.c.get(key)
    if column is None:
        return OTHER_CELL_MAX
    length = getattr(column.type, "length", None)
    return int(length) if length else TEXT_CELL_MAX


def _convert(values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in values.items():
        if key == "confirm" or value is None:
            continue
        if key == "customer_type":
            mapped = TYPE_WORDS.get(str(value).strip().lower())
            if mapped is None:
                problems.append((key, "类型应为“直客”或“渠道”"))
            out[key] = mapped
        elif key == "tier":
            tier = str(value).strip().upper()
            if tier not in rules.TIERS:
                problems.append((key, "级别应为 A、B 或 C"))
            out[key] = tier
        elif key == "tags":
            text = str(value).replace(",", "、").replace("，", "、").replace(";", "、")
            out[key] = [t.strip() for t in text.split("、") if t.strip()][:30]
        elif key == "member_until":
            if isinstance(value, date):
                out[key] = value
            else:
                try:
                    out[key] = date.fromisoformat(str(value).strip()[:10])
                except ValueError:
                    problems.append((key, "日期格式应为 YYYY-MM-DD"))
        else:
            text = str(value).strip()
            limit = _max_length(key)
            if len(text) > limit:
                problems.append((key, f"超过 {limit} 个字"))
            out[key] = text
    return out, problems


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
        self.seen_keys: dict[str, int] = {}
        self.seen_phones: dict[str, int] = {}
        self.room: int | None = None
        self.min_score = 75

    def _reject(self, row: int, fld: str, reason: str, name: str | None = None) -> None:
        self.result.rejected.append(Rejected(row, fld, reason, name or ""))

    def process(self, session: Session, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
        user = session.get(User, self.user_id)
        assert user is not None
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
            self.room = (
                limit_for(session, user, today)
                - owned_count(session, user.id, today)
                - pending_count(session, user.id)
            )
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
        values, problems = _convert(raw)
        name = values.get("name")
        for fld, reason in problems:
            self._reject(number, fld, translate(reason, self.lang), name)
        if problems:
            return None
        try:
            result = checks.check_fields(session, values, lang=self.lang)
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
        if key in self.seen_keys:
            self._reject(
                number,
                "name",
                translate("CUS-7: 与文件第 {row} 行重复", self.lang, row=self.seen_keys[key]),
                name,
            )
            return None
        self.seen_keys[key] = number
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
        now = clock.now()
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
        # Core statements (no ORM bulk-insert bookkeeping); ids come back in the rows' order.
        conn = session.connection()
        table = Customer.__table__
        if conn.dialect.name == "sqlite":
            # `next_codes` wrote, so this transaction holds the write lock: the ids are the ones
            # SQLite would give (max + 1, …), and one executemany replaces a statement per row
            # (SQLAlchemy cannot order RETURNING rows of a multi-row insert on SQLite).
            start = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
            ids = list(range(start, start + len(records)))
            for rec, cid in zip(records, ids, strict=True):
                rec["id"] = cid
            _insert_rows(conn, table, records)
        else:
            returning = table.insert().returning(table.c.id, sort_by_parameter_order=True)
            ids = list(conn.execute(returning, records).scalars())
        # Plain tuples straight to the driver's executemany (two plain columns, nothing to convert).
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        grams = [
            (g, cid) for cid, rec in zip(ids, records, strict=True) for g in dedupe.grams_of(rec["name"])
        ]
        if grams:
            conn.exec_driver_sql(
                f"INSERT INTO {CustomerNameGram.__tablename__} (gram, customer_id) VALUES ({mark}, {mark})",
                grams,
            )
        rule = "CUS-9" if user.has_role(*checks.REGISTRAR_ROLES) else "CUS-18"
        _insert_rows(
            conn,
            Application.__table__,
            [
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
            ],
        )
        if not to_review:
            _insert_rows(
                conn,
                OwnershipEvent.__table__,
                [
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
                ],
            )
        _insert_rows(
            conn,
            AuditEntry.__table__,
            [
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
            ],
        )
        return ids


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


def import_committed(
    db: Database,
    user_id: int,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    confirm_warnings: bool = False,
    lang: str = "zh",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import with one commit per batch (CLI, import page): only whole rows ever reach the disk."""
    importer = Importer(user_id, confirm_warnings=confirm_warnings, lang=lang)
    done = 0
    for chunk in batches(rows):
        with db.transaction() as session:
            importer.process(session, chunk)
        done += len(chunk)
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


# --------------------------------------------------------------------------------------------
# background imports for the page (a thread + htmx polling)


@dataclass
class ImportJob:
    id: str
    user_id: int
    filename: str
    total: int = 0
    done: int = 0
    state: str = "running"  # running | done | failed
    error: str | None = None
    result: ImportResult | None = None
    lang: str = "zh"
    started_at: datetime = field(default_factory=clock.now)


_jobs: dict[str, ImportJob] = {}
_jobs_lock = threading.Lock()


def start_job(
    db: Database, user_id: int, filename: str, content: bytes, *, confirm_warnings: bool, lang: str
) -> ImportJob:
    rows, _ = parse_rows(read_table(filename, content))
    job = ImportJob(uuid.uuid4().hex, user_id, filename, total=len(rows), lang=lang)
    with _jobs_lock:
        cutoff = clock.now() - timedelta(hours=6)
        for key in [k for k, j in _jobs.items() if j.started_at < cutoff]:
            del _jobs[key]
        _jobs[job.id] = job

    def progress(done: int, total: int) -> None:
        job.done = done

    def work() -> None:
        try:
            job.result = import_committed(
                db, user_id, rows, confirm_warnings=confirm_warnings, lang=lang, progress=progress
            )
            job.state = "done"
        except Exception as exc:  # reported on the page; committed batches stay whole
            job.state, job.error = "failed", str(exc)[:300]

    threading.Thread(target=work, name=f"import-{job.id[:8]}", daemon=True).start()
    return job


def get_job(job_id: str, user_id: int) -> ImportJob | None:
    job = _jobs.get(job_id)
    return job if job is not None and job.user_id == user_id else None
