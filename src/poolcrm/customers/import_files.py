"""Import files (CUS-18): reading .xlsx/.csv, the columns and their aliases, converting cells, the
template and the rejected-rows report."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from poolcrm.customers import rules
from poolcrm.customers.models import Customer
from poolcrm.i18n import translate
from poolcrm.sheets import workbook_bytes

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
    ("needs", "需求描述"),
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
    return workbook_bytes([translate(h, lang) for _, h in COLUMNS], [example], translate("客户", lang))


def report_xlsx(result: ImportResult, lang: str = "zh") -> bytes:
    """The rejected rows: row number, field, reason (CUS-18)."""
    rows = [
        [r.row, translate(FIELD_LABELS.get(r.field, r.field), lang).replace("*", ""), r.name, r.reason]
        for r in result.rejected
    ]
    return workbook_bytes(
        [translate(h, lang) for h in ("行号", "字段", "公司全称", "原因")],
        rows,
        translate("未导入的行", lang),
    )


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


def convert_values(values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
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
