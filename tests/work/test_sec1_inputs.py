"""SEC-1 on work records: what a user sends that no record can be about is refused naming its
field (422), never stored and never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from poolcrm.attachments import FILENAME_LENGTH
from poolcrm.work import rules
from poolcrm.work.models import WorkFile, WorkReport
from tests.work.conftest import DOCX


def _report(client, h, kind, period, name="周报.docx", content=DOCX):
    files = {"file": (name, content, "application/octet-stream")}
    return client.post(
        "/api/v1/reports", data={"kind": kind, "period": period}, files=files, headers=h("rep")
    )


def test_sec1_work1_a_report_period_outside_the_business_range_is_refused_naming_period(client, h, crew):
    for kind, period in (
        ("annual", "0001"),
        ("annual", "1899"),
        ("half_year", "0001-H1"),
        ("monthly", "0001-01"),
        ("weekly", "0001-W01"),
        ("annual", "２０２５"),
    ):
        resp = _report(client, h, kind, period)
        assert resp.status_code == 422, (kind, period, resp.text)
        assert list(resp.json()["error"]["details"]["fields"]) == ["period"]
    assert (
        rules.parse_period("annual", "1900") is not None and rules.parse_period("annual", "2199") is not None
    )
    assert (
        rules.parse_period("annual", "9999") is None and rules.parse_period("weekly", "2199-W52") is not None
    )


def test_sec1_a_file_name_too_long_is_refused_naming_the_file_field(client, h, crew, database):
    """A name longer than the app's form parser reads (python-multipart's header line) answered a
    bare 400 "Invalid multipart data."; one longer than the column was cut, losing its extension
    (then "unsupported file type"). Both are 422 naming `file`: the file name is too long."""
    for name in ("a" * 5000 + ".docx", "报" * 3000 + ".docx", "a" * (FILENAME_LENGTH + 1 - 5) + ".docx"):
        resp = _report(client, h, "weekly", "2026-W10", name=name)
        assert resp.status_code == 422, (len(name), resp.text)
        assert resp.json()["error"]["details"]["fields"] == {"file": "文件名太长"}
    expense = client.post(
        "/api/v1/expenses",
        json={"spent_on": "2026-03-02", "type": "交通", "amount": 10, "description": "d"},
        headers=h("rep"),
    ).json()
    files = {"file": ("x" * 5000 + ".pdf", b"%PDF-1.4 x", "application/pdf")}
    resp = client.post(f"/api/v1/expenses/{expense['id']}/receipts", files=files, headers=h("rep"))
    assert resp.status_code == 422 and resp.json()["error"]["details"]["fields"] == {"file": "文件名太长"}
    with database.transaction() as s:
        assert (
            s.scalar(select(func.count(WorkFile.id))) == 0
            and s.scalar(select(func.count(WorkReport.id))) == 0
        )
    longest = "a" * (FILENAME_LENGTH - 4) + ".pdf"
    files = {"file": (longest, b"%PDF-1.4 x", "application/pdf")}
    resp = client.post(f"/api/v1/expenses/{expense['id']}/receipts", files=files, headers=h("rep"))
    assert resp.status_code == 201 and resp.json()["filename"] == longest
