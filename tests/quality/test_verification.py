"""GOV-5 periodic verification on each engine: the task list of a rep's private customers not
verified this period, one action to verify or correct (recorded, audited, corrections through
CUS-13), the team's progress for supervisors, reminders at the period's start and near its end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from poolcrm import clock
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer, CustomerChange
from poolcrm.jobs.service import run_daily
from poolcrm.notify.models import Notification
from poolcrm.quality.models import ContactVerification
from poolcrm.web.deps import LANG_COOKIE, SESSION_COOKIE, csrf_token_for
from tests.conftest import PASSWORD, auth_headers
from tests.pools.conftest import at

DEC = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 Beijing, Q4


@pytest.fixture
def book(org, customers):
    clock.set_now(DEC, frozen=True)
    own = [
        customers(pool="private", owner_id=org["rep1"], protected_since=at(date(2026, 11, 2)))
        for _ in range(3)
    ]
    other = customers(pool="private", owner_id=org["rep2"], protected_since=at(date(2026, 11, 2)))
    public = customers(pool="public")
    return {"own": own, "other": other, "public": public}


def test_gov5_task_list_verify_and_correct(client, org, book, database):
    rep = auth_headers(client, "rep1")
    tasks = client.get("/api/v1/verification", headers=rep).json()
    assert tasks["period"] == {"start": "2026-10-01", "end": "2026-12-31"}
    assert (tasks["total"], tasks["done"]) == (3, 0)
    assert [c["id"] for c in tasks["items"]] == book["own"]
    first, second, _ = book["own"]
    ok = client.post(f"/api/v1/customers/{first}/verify", json={}, headers=rep)
    assert ok.status_code == 200 and ok.json()["outcome"] == "verified"
    fixed = client.post(
        f"/api/v1/customers/{second}/verify", json={"mobile": "13912345678", "note": "换了手机"}, headers=rep
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["outcome"] == "corrected" and fixed.json()["fields"] == ["mobile"]
    tasks = client.get("/api/v1/verification", headers=rep).json()
    assert (tasks["total"], tasks["done"]) == (3, 2) and len(tasks["items"]) == 1
    with database.transaction() as s:
        assert s.get(Customer, second).mobile == "+8613912345678"
        change = s.scalars(select(CustomerChange).where(CustomerChange.customer_id == second)).one()
        assert change.field == "mobile" and change.reason == "换了手机"  # CUS-13 history
        actions = s.scalars(
            select(AuditEntry.rule).where(AuditEntry.action == "customer.contact_verified")
        ).all()
        assert actions == ["GOV-5", "GOV-5"]
    # the next quarter starts over
    clock.set_now(datetime(2027, 1, 4, 2, 0, tzinfo=UTC), frozen=True)
    assert client.get("/api/v1/verification", headers=rep).json()["done"] == 0


def test_gov5_refusals_name_the_rule_and_hide_what_is_not_yours(client, org, book):
    rep = auth_headers(client, "rep1")
    assert client.post(f"/api/v1/customers/{book['other']}/verify", json={}, headers=rep).status_code == 404
    assert client.post(f"/api/v1/customers/{book['public']}/verify", json={}, headers=rep).status_code == 403
    admin = auth_headers(client, "admin")
    public = client.post(f"/api/v1/customers/{book['public']}/verify", json={}, headers=admin)
    assert public.status_code == 409 and public.json()["error"]["rule"] == "GOV-5"
    bad = client.post(f"/api/v1/customers/{book['own'][0]}/verify", json={"email": "not-mail"}, headers=rep)
    assert bad.status_code == 422 and "email" in bad.json()["error"]["details"]["fields"]
    extra = client.post(f"/api/v1/customers/{book['own'][0]}/verify", json={"name": "改名"}, headers=rep)
    assert extra.status_code == 422
    for cid in (2**31, 2**40, 0):
        assert client.post(f"/api/v1/customers/{cid}/verify", json={}, headers=rep).status_code in (404, 422)
    assert client.get(f"/api/v1/verification?owner_id={org['rep2']}", headers=rep).status_code == 404


def test_gov5_supervisor_sees_the_teams_progress_and_a_reps_list(client, org, book):
    client.post(f"/api/v1/customers/{book['own'][0]}/verify", json={}, headers=auth_headers(client, "rep1"))
    sup = auth_headers(client, "sup")
    rows = {
        r["name"]: (r["done"], r["total"])
        for r in client.get("/api/v1/verification/progress", headers=sup).json()["items"]
    }
    assert rows == {"rep1": (1, 3), "rep2": (0, 1)}
    theirs = client.get(f"/api/v1/verification?owner_id={org['rep1']}", headers=sup).json()
    assert len(theirs["items"]) == 2
    rep_view = client.get("/api/v1/verification/progress", headers=auth_headers(client, "rep2")).json()
    assert [r["name"] for r in rep_view["items"]] == ["rep2"]


def test_gov5_reminders_at_the_start_and_near_the_end_of_the_period(org, book, database):
    with database.transaction() as s:  # followed up yesterday: POOL-6 keeps them private
        s.execute(update(Customer).values(last_valid_followup_at=at(date(2026, 12, 17))))
    clock.set_now(datetime(2026, 12, 17, 17, 0, tzinfo=UTC), frozen=True)  # 01:00 Beijing 12-18
    run_daily(database, date(2026, 12, 18))
    clock.set_now(datetime(2026, 12, 18, 17, 0, tzinfo=UTC), frozen=True)  # JOB-1b: the next night
    run_daily(database, date(2026, 12, 19), catch_up=False)
    with database.transaction() as s:
        notes = s.execute(
            select(Notification.user_id, Notification.params).where(Notification.rule == "GOV-5")
        ).all()
    assert sorted((uid, p["count"]) for uid, p in notes) == [(org["rep1"], 3), (org["rep2"], 1)]


def test_gov5_page_verifies_with_one_click_and_corrects_inline(client, org, book, database):
    client.post(
        "/login", data={"username": "rep1", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    html = client.get("/verification").text
    assert "联系方式核实" in html and html.count('data-testid="verify-row"') == 3
    token = csrf_token_for("test-secret", client.cookies.get(SESSION_COOKIE))
    first = book["own"][0]
    done = client.post(f"/verification/{first}", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/verification?done=1"
    bad = client.post(f"/verification/{book['own'][1]}", data={"csrf_token": token, "email": "x@"})
    assert bad.status_code == 422 and "GOV-5" in bad.text
    html = client.get("/verification?done=1").text
    assert html.count('data-testid="verify-row"') == 2 and "已记录核实结果" in html
    client.cookies.set(LANG_COOKIE, "en")
    en = client.get("/verification").text
    with database.transaction() as s:
        assert (
            s.scalar(select(ContactVerification.outcome).where(ContactVerification.customer_id == first))
            == "verified"
        )
    assert "Contact verification" in en
