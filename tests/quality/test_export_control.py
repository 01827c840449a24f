"""ORG-5a export control on each engine: a customer export above the policy's rows needs the
approval of someone above the requester (never the requester); the approved export is downloaded
once, by the requester, before it expires; every step is audited and told through NOTE-1."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.export_requests import take
from poolcrm.errors import AppError
from poolcrm.notify.models import Notification
from poolcrm.org.models import User
from poolcrm.web.deps import SESSION_COOKIE, csrf_token_for
from tests.conftest import PASSWORD, auth_headers
from tests.pools.conftest import at

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def book(org, customers, client):
    clock.set_now(NOW, frozen=True)
    for _ in range(4):
        customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 12, 1)))
    admin = auth_headers(client, "admin")
    assert client.patch("/api/v1/policy", json={"export_approval_rows": 3}, headers=admin).status_code == 200
    return org


def _ask(client, who="rep1", reason="年底回访名单"):
    body = {"filters": {"pool": "private"}, "reason": reason}
    return client.post("/api/v1/export-requests", json=body, headers=auth_headers(client, who))


def test_org5a_a_big_export_is_refused_until_a_supervisor_approves_it(client, book, database):
    rep = auth_headers(client, "rep1")
    refused = client.get("/api/v1/customers/export?pool=private", headers=rep)
    assert refused.status_code == 409 and refused.json()["error"]["rule"] == "ORG-5a"
    assert refused.json()["error"]["details"] == {"rows": 4, "limit": 3}
    asked = _ask(client)
    assert asked.status_code == 201 and asked.json()["rows"] == 4
    rid = asked.json()["id"]
    assert client.post(f"/api/v1/export-requests/{rid}/approve", json={}, headers=rep).status_code == 409
    assert client.get(f"/api/v1/export-requests/{rid}/download", headers=rep).status_code == 409
    sup = auth_headers(client, "sup")
    assert (
        client.post(f"/api/v1/export-requests/{rid}/approve", json={}, headers=sup).json()["status"]
        == "approved"
    )
    got = client.get(f"/api/v1/export-requests/{rid}/download", headers=rep)
    assert got.status_code == 200
    assert len(list(load_workbook(io.BytesIO(got.content)).active.iter_rows())) == 5  # header + 4
    assert client.get(f"/api/v1/export-requests/{rid}/download", headers=rep).status_code == 409  # once
    with database.transaction() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.rule == "ORG-5a", AuditEntry.action.like("customer.%"))
            .order_by(AuditEntry.id)
        ).all()
        kinds = s.scalars(select(Notification.kind).where(Notification.rule == "ORG-5a")).all()
    assert actions == ["customer.export_requested", "customer.export_decided", "customer.export"]
    assert sorted(kinds) == ["export_decided", "export_to_approve"]


def test_org5a_small_exports_and_the_top_need_no_approval(client, book):
    assert (
        client.get("/api/v1/customers/export?pool=private", headers=auth_headers(client, "gm")).status_code
        == 200
    )
    assert (
        client.patch(
            "/api/v1/policy", json={"export_approval_rows": 10}, headers=auth_headers(client, "admin")
        ).status_code
        == 200
    )
    assert (
        client.get("/api/v1/customers/export?pool=private", headers=auth_headers(client, "rep1")).status_code
        == 200
    )


def test_org5a_only_those_above_decide_others_get_404_and_approvals_expire(client, book):
    rid = _ask(client).json()["id"]
    for outsider in ("rep2", "ka", "cs"):
        h = auth_headers(client, outsider)
        assert client.post(f"/api/v1/export-requests/{rid}/approve", json={}, headers=h).status_code == 404
        assert client.get(f"/api/v1/export-requests/{rid}/download", headers=h).status_code == 404
        assert rid not in [e["id"] for e in client.get("/api/v1/export-requests", headers=h).json()["items"]]
    manager = auth_headers(client, "manager")  # above the supervisor: may decide too
    rejected = client.post(f"/api/v1/export-requests/{rid}/reject", json={}, headers=manager)
    assert rejected.status_code == 422 and "reason" in rejected.json()["error"]["details"]["fields"]
    rid2 = _ask(client).json()["id"]
    client.post(f"/api/v1/export-requests/{rid2}/approve", json={}, headers=manager)
    clock.set_now(NOW + timedelta(hours=25), frozen=True)
    assert (
        client.get(
            f"/api/v1/export-requests/{rid2}/download", headers=auth_headers(client, "rep1")
        ).status_code
        == 409
    )
    for bad in (0, 2**31, 2**40):
        assert client.post(
            f"/api/v1/export-requests/{bad}/approve", json={}, headers=manager
        ).status_code in (404, 422)
    bad = client.post(
        "/api/v1/export-requests",
        json={"filters": {"owner": "x", "evil": 1}, "reason": "r"},
        headers=auth_headers(client, "rep1"),
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["details"]["fields"]) == {
        "filters.owner",
        "filters.evil",
    }


def test_org5a_two_downloads_at_once_give_one_export(client, book, database):
    rid = _ask(client).json()["id"]
    client.post(f"/api/v1/export-requests/{rid}/approve", json={}, headers=auth_headers(client, "sup"))
    barrier, outcomes = threading.Barrier(2), []

    def grab():
        barrier.wait()
        try:
            with database.transaction() as s:
                take(s, s.get(User, book["rep1"]), rid)
            outcomes.append("ok")
        except AppError as exc:
            outcomes.append(exc.rule)

    threads = [threading.Thread(target=grab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ORG-5a", "ok"]


def test_org5a_pages_ask_decide_and_download(client, book):
    def login(who):
        client.cookies.clear()
        client.post(
            "/login", data={"username": who, "password": PASSWORD, "next": "/"}, follow_redirects=False
        )
        return csrf_token_for("test-secret", client.cookies.get(SESSION_COOKIE))

    token = login("rep1")
    asked = client.get("/customers/export.xlsx?pool=private", follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/exports/new?")
    form = client.get(asked.headers["location"]).text
    assert "4" in form and 'name="f_pool" value="private"' in form
    sent = client.post(
        "/exports/new",
        data={"csrf_token": token, "f_pool": "private", "reason": "回访"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    token = login("sup")
    listing = client.get("/exports").text
    assert 'data-testid="export-approve"' in listing and "回访" in listing
    rid = client.get("/api/v1/export-requests", headers=auth_headers(client, "sup")).json()["items"][0]["id"]
    assert (
        client.post(f"/exports/{rid}/approve", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    token = login("rep1")
    assert 'data-testid="export-download"' in client.get("/exports").text
    got = client.post(f"/exports/{rid}/download", data={"csrf_token": token})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxml")
