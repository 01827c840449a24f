"""Spreadsheets people download (CUS-18, FU-6, DEAL-9 exports): one writer, so that user text never
becomes a formula (SEC-3) and every time is in the company's zone (CAL-2)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import xlsxwriter

Sheet = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


def workbook_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], sheet: str = "Sheet1") -> bytes:
    """An .xlsx of one sheet (see `workbook_sheets`)."""
    return workbook_sheets([(sheet, headers, rows)])


def workbook_sheets(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx of (name, headers, rows) sheets, each with a bold, frozen header row. SEC-3: strings
    are written as strings — never as formulas, numbers or links — whatever they start with;
    numbers and dates keep their types."""
    buf = io.BytesIO()
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    book = xlsxwriter.Workbook(buf, {"in_memory": True, **options})
    head = book.add_format({"bold": True, "bg_color": "#F0F3F7", "border": 1})
    for sheet, headers, rows in sheets:
        ws = book.add_worksheet(sheet[:31])
        ws.write_row(0, 0, list(headers), head)
        ws.freeze_panes(1, 0)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is None:
                    ws.write_blank(i, j, None)
                elif isinstance(value, str):
                    ws.write_string(i, j, value)
                else:
                    ws.write(i, j, value)
        for col, title in enumerate(headers):
            ws.set_column(col, col, max(10, min(40, len(str(title)) * 2 + 4)))
    book.close()
    return buf.getvalue()


def attachment(filename: str) -> dict[str, str]:
    """Content-Disposition for a download whose name may be Chinese (RFC 5987)."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


def stamped_name(prefix: str, local_now: datetime, extension: str = "xlsx") -> str:
    """`customers-20261202-1730.xlsx`: file names carry the company-zone time (CAL-2)."""
    return f"{prefix}-{local_now:%Y%m%d-%H%M}.{extension}"
