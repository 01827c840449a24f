"""CUS-18 import at scale (not a test): a ROWS-row .xlsx imported with the full validation and
duplicate check (against the database and within the file) into a SQLite database that already
holds BASE customers. Target: 100,000 rows in ≤ 60 s.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--base 100000] [--db URL]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("POOLCRM_FAST_HASH", "1")

import xlsxwriter

from poolcrm import clock
from poolcrm.customers import bulk, import_files, importer, synth
from poolcrm.customers.demo import synth_record
from poolcrm.db import Database, create_schema
from poolcrm.org.schemas import DepartmentIn, UserIn
from poolcrm.org.service import create_department, create_user


def make_xlsx(rows: int) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": False})
    ws = book.add_worksheet()
    ws.write_row(0, 0, [h for _, h in import_files.COLUMNS[:4]] + ["确认提示（是/否）"])
    for i, company in enumerate(synth.generate_companies(rows, 99), start=1):
        rec = synth_record(company)
        phone = f"010-{60000000 + i:08d}"
        ws.write_row(
            i,
            0,
            [
                rec["name"],
                f"北京市海淀区中关村大街{i}号海龙大厦5楼501室",
                rec["contact_name"] or "张三",
                phone,
                "是",
            ],
        )
    book.close()
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    db = Database(args.db or f"sqlite:///{workdir / 'import.db'}")
    create_schema(db.engine)
    with db.transaction() as s:
        dept = create_department(s, None, DepartmentIn(name="客服部", kind="cs")).id
        user = create_user(
            s,
            None,
            UserIn(
                username="cs1",
                password="bench-pass-1",
                display_name="郑客服",
                roles=["cs"],
                department_id=dept,
                hired_on=date(2024, 1, 1),
            ),
        )
        user_id = user.id
        if args.base:
            bulk.bulk_create(
                s,
                (synth_record(c) for c in synth.generate_companies(args.base, 2026)),
                at=clock.now(),
                initials=False,
            )
    t0 = time.perf_counter()
    content = make_xlsx(args.rows)
    write_s = time.perf_counter() - t0
    path = workdir / "customers.xlsx"
    path.write_bytes(content)
    t0 = time.perf_counter()
    rows, _ = import_files.parse_rows(import_files.read_table(path.name, content))
    read_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    result = importer.import_committed(db, user_id, rows)
    import_s, import_cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "rows": args.rows,
        "base_customers": args.base,
        "xlsx_write_s": round(write_s, 1),
        "read_s": round(read_s, 2),
        "import_s": round(import_s, 1),
        "import_cpu_s": round(import_cpu, 1),
        "load_avg_1m": os.getloadavg()[0],
        "total_s": round(read_s + import_s, 1),
        "rows_per_s": int(args.rows / (read_s + import_s)),
        "imported": result.imported,
        "rejected_rows": result.rejected_rows,
    }
    print(json.dumps(out, ensure_ascii=False, indent=1))
    (workdir / "results.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    db.dispose()
    for made in ("import.db", "import.db-wal", "import.db-shm", "customers.xlsx"):  # keep results.json
        (workdir / made).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
