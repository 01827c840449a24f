"""SEC-3: user text never becomes a spreadsheet formula in any export; CAL-2: file names carry the
company-zone time."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl

from poolcrm.sheets import stamped_name, workbook_bytes

DANGEROUS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x","y")']


def test_sec3_xlsx_writes_formula_like_text_as_text():
    data = workbook_bytes(["名称", "数量"], [[text, 3] for text in DANGEROUS])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [sheet.cell(row=i, column=1) for i in range(2, 2 + len(DANGEROUS))]
    assert [c.value for c in cells] == DANGEROUS
    assert {c.data_type for c in cells} == {"s"}
    assert sheet.cell(row=2, column=2).value == 3


def test_cal2_file_names_carry_the_company_zone_time():
    local = datetime(2026, 12, 2, 1, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert stamped_name("customers", local) == "customers-20261202-0130.xlsx"
