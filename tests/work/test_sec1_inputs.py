"""SEC-1 on work records: what a user sends that no record can be about is refused naming its
field (422), never stored and never a 500."""

from __future__ import annotations

from poolcrm.work import rules
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
