"""Violations (VIO-1), spot checks (VIO-2) and the monthly assessment (VIO-3), both engines."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from poolcrm import clock
from poolcrm.customers.models import Customer
from poolcrm.followups.models import FollowUp
from poolcrm.notify.models import Notification
from poolcrm.violations import assessments, service
from poolcrm.violations.models import SpotCheck
from tests.violations.conftest import add_customer, add_followups, at


def _record(client, h, crm, who="cs", user="rep1", kind="rule_breach", evidence="私下转让客户资料"):
    return client.post(
        "/api/v1/violations", json={"user_id": crm[user], "kind": kind, "evidence": evidence}, headers=h(who)
    )


def test_vio1_second_is_a_written_warning_third_a_dismissal_proposal_with_notices(client, h, crm, database):
    levels = [_record(client, h, crm).json()["level"] for _ in range(3)]
    assert levels == ["none", "warning", "dismissal"]
    out = client.get(f"/api/v1/users/{crm['rep1']}/violations", headers=h("sup")).json()
    assert (
        out["count"] == 3
        and out["level"] == "dismissal"
        and [i["ordinal"] for i in out["items"]] == [1, 2, 3]
    )
    with database.transaction() as s:
        notes = list(s.scalars(select(Notification).where(Notification.rule == "VIO-1")))
        to = lambda uid: [n.kind for n in notes if n.user_id == uid]  # noqa: E731
        assert to(crm["rep1"]) == ["violation.none", "violation.warning", "violation.dismissal"]
        assert to(crm["sup"]) == ["violation.none", "violation.warning", "violation.dismissal"]
        assert to(crm["hr"]) == ["violation.dismissal"] and to(crm["gm"]) == ["violation.dismissal"]


def test_vio1_who_records_and_who_sees(client, h, crm):
    assert _record(client, h, crm, who="rep2").status_code == 404  # ORG-5: rep1 is not theirs to know
    assert _record(client, h, crm, who="rep1").status_code == 403  # sees themselves, may not act
    assert _record(client, h, crm, who="sup").status_code == 201  # the rep's supervisor
    resp = _record(client, h, crm, who="sup", user="rep4")  # not their team: cannot even see rep4
    assert resp.status_code == 404
    assert client.get(f"/api/v1/users/{crm['rep1']}/violations", headers=h("rep2")).status_code == 404
    assert client.get(f"/api/v1/users/{crm['rep1']}/violations", headers=h("rep1")).json()["count"] == 1
    assert client.get("/api/v1/users/99999/violations", headers=h("gm")).status_code == 404


def test_vio1_bad_input_names_the_field(client, h, crm):
    resp = _record(client, h, crm, kind="late")
    assert resp.status_code == 422 and "kind" in resp.json()["error"]["details"]["fields"]
    resp = _record(client, h, crm, evidence="")
    assert resp.status_code == 422 and "evidence" in resp.json()["error"]["details"]["fields"]


def test_cus10_forced_duplicate_merge_records_a_violation_for_the_creator(client, h, crm, database):
    with database.transaction() as s:
        first = add_customer(
            s, "成都天府软件有限公司", pool="private", owner_id=crm["rep1"], created_by=crm["rep1"]
        )
        dup = add_customer(
            s,
            "成都天府软件有限公司",
            pool="private",
            owner_id=crm["rep2"],
            since=at(date(2026, 11, 1)),
            created_by=crm["rep2"],
        )
    resp = client.post(
        "/api/v1/customers/merge",
        json={"customer_ids": [first.id, dup.id], "reason": "强制重复"},
        headers=h("cs"),
    )
    assert resp.status_code == 200, resp.text
    out = client.get(f"/api/v1/users/{crm['rep2']}/violations", headers=h("cs")).json()
    assert (
        out["count"] == 1
        and out["items"][0]["kind"] == "forced_duplicate"
        and out["items"][0]["rule"] == "CUS-10"
    )


def _yesterdays_followups(database, crm):
    with database.transaction() as s:
        c1 = add_customer(s, "上海晨光档案管理有限公司", pool="private", owner_id=crm["rep1"])
        c2 = add_customer(s, "天津海河数据科技有限公司", pool="private", owner_id=crm["rep2"])
        f1 = add_followups(s, c1.id, crm["rep1"], 5, start=date(2026, 11, 24), days=1)
        add_followups(s, c2.id, crm["rep2"], 1, start=date(2026, 11, 24))
        add_followups(s, c1.id, crm["rep1"], 2, start=date(2026, 11, 23), days=1)  # not yesterday
        c1.last_valid_followup_at = max(s.get(FollowUp, f).created_at for f in f1)
        return c1.id


def test_vio2_daily_spot_check_samples_yesterdays_followups_per_rep(client, h, crm, database):
    _yesterdays_followups(database, crm)
    with database.transaction() as s:
        picked = service.spot_check_step(s, date(2026, 11, 25))["spot_checks"]
        assert service.spot_check_step(s, date(2026, 11, 25))["spot_checks"] == []  # a re-run adds nothing
    assert len(picked) == 4  # 3 of rep1's 5, rep2's only one
    items = client.get("/api/v1/spot-checks", headers=h("cs")).json()
    assert len(items) == 4 and all(i["status"] == "pending" for i in items)
    assert client.get("/api/v1/spot-checks", headers=h("rep1")).status_code == 403
    with database.transaction() as s:
        assert s.scalar(select(Notification.rule).where(Notification.user_id == crm["cs"])) == "VIO-2"


def test_vio2_fake_followup_invalidated_recorded_and_off_the_duty_roster(client, h, crm, database):
    cid = _yesterdays_followups(database, crm)
    with database.transaction() as s:
        service.spot_check_step(s, date(2026, 11, 25))
    items = client.get("/api/v1/spot-checks", headers=h("cs")).json()
    mine = [i for i in items if i["author"]["id"] == crm["rep1"]]
    url = f"/api/v1/spot-checks/{mine[0]['id']}/verdict"
    no_note = client.post(url, json={"verdict": "fake"}, headers=h("cs"))
    assert no_note.status_code == 422 and "note" in no_note.json()["error"]["details"]["fields"]
    ok = client.post(url, json={"verdict": "fake", "note": "电话回访客户，称当天无人联系"}, headers=h("cs"))
    assert ok.status_code == 200 and ok.json()["status"] == "fake"
    assert client.post(url, json={"verdict": "valid"}, headers=h("cs")).status_code == 409
    assert (
        client.post(
            f"/api/v1/spot-checks/{mine[1]['id']}/verdict", json={"verdict": "valid"}, headers=h("cs")
        ).json()["status"]
        == "valid"
    )
    with database.transaction() as s:
        f = s.get(FollowUp, mine[0]["followup"]["id"])
        assert f.valid is False and f.spot_check == "fake" and f.invalid_reasons[-1]["rule"] == "VIO-2"
        assert s.get(Customer, cid).last_valid_followup_at is not None
        assert s.scalar(select(SpotCheck.status).where(SpotCheck.id == mine[1]["id"])) == "valid"
    out = client.get(f"/api/v1/users/{crm['rep1']}/violations", headers=h("cs")).json()
    assert out["count"] == 1 and out["items"][0]["kind"] == "fake_followup"
    duty = client.get("/api/v1/duty/today", headers=h("cs")).json()
    assert crm["rep1"] not in [r["id"] for r in duty["on_duty"]]


def test_vio3_monthly_assessment_published_to_all_sales_staff_after_the_supervisor_confirms(
    client, h, crm, database
):
    with database.transaction() as s:
        c = add_customer(s, "重庆山城机电有限公司", pool="private", owner_id=crm["rep1"])  # fields missing
        add_followups(s, c.id, crm["rep1"], 2, start=date(2026, 10, 12), valid=False, days=1)
    clock.set_now(at(date(2026, 11, 1), 9), frozen=True)
    with database.transaction() as s:
        assessed = assessments.assessment_step(s, date(2026, 11, 1))["assessed"]
        assert assessments.assessment_step(s, date(2026, 11, 2))["assessed"] == []
    assert set(assessed) == {crm["rep1"], crm["rep2"], crm["rep3"], crm["rep4"]}
    drafts = client.get("/api/v1/assessments?month=202610", headers=h("sup")).json()
    rep1 = next(a for a in drafts if a["user_id"] == crm["rep1"])
    assert rep1["status"] == "draft" and rep1["missing_fields"] == 1 and rep1["invalid_followups"] == 2
    assert rep1["score"] == 0  # VIO-3 (revised): any item short of the standard zeroes the month
    seen = client.get("/api/v1/assessments?month=202610", headers=h("rep2")).json()
    assert [a["user_id"] for a in seen] == [crm["rep2"]]  # their own draft; rep1's not yet published
    assert client.post(f"/api/v1/assessments/{rep1['id']}/confirm", headers=h("rep2")).status_code == 404
    assert client.post(f"/api/v1/assessments/{rep1['id']}/confirm", headers=h("cs")).status_code == 403
    done = client.post(f"/api/v1/assessments/{rep1['id']}/confirm", headers=h("sup"))
    assert done.status_code == 200 and done.json()["status"] == "published"
    team_view = client.get("/api/v1/assessments?month=202610", headers=h("rep2")).json()
    assert {a["user_id"] for a in team_view} == {crm["rep1"], crm["rep2"]}
    other_team = client.get("/api/v1/assessments?month=202610", headers=h("rep4")).json()
    assert {a["user_id"] for a in other_team} == {crm["rep1"], crm["rep4"]}  # published to all sales staff
    again = client.post(f"/api/v1/assessments/{rep1['id']}/confirm", headers=h("sup"))
    assert again.status_code == 409 and again.json()["error"]["rule"] == "VIO-3"
    with database.transaction() as s:
        assert s.scalar(
            select(Notification.id).where(Notification.user_id == crm["rep2"], Notification.rule == "VIO-3")
        )


def test_vio3_points_policy_probation_and_a_managers_concealment(client, h, crm, database):
    from poolcrm.org.models import User

    with database.transaction() as s:
        c = add_customer(s, "重庆山城机电有限公司", pool="private", owner_id=crm["rep1"])  # fields missing
        add_followups(s, c.id, crm["rep1"], 2, start=date(2026, 10, 12), valid=False, days=1)
        s.get(User, crm["rep3"]).probation_end_on = date(2026, 11, 15)  # still in probation in October
    client.patch("/api/v1/policy", json={"assessment_mode": "points"}, headers=h("admin"))
    bad = client.patch("/api/v1/policy", json={"assessment_mode": "lenient"}, headers=h("admin"))
    assert bad.status_code == 422
    concealed = client.post(
        "/api/v1/violations",
        json={"user_id": crm["rep2"], "kind": "concealment", "evidence": "作为组长隐瞒组员虚假跟进"},
        headers=h("gm"),
    )
    assert concealed.status_code == 201, concealed.text
    clock.set_now(at(date(2026, 11, 1), 9), frozen=True)
    with database.transaction() as s:
        assessed = assessments.assessment_step(s, date(2026, 11, 1))["assessed"]
    assert crm["rep3"] not in assessed
    rows = {a["user_id"]: a for a in client.get("/api/v1/assessments?month=202610", headers=h("gm")).json()}
    assert rows[crm["rep1"]]["score"] == 100 - 2 * 1 - 1 * 2  # points: the policy's deductions
    assert rows[crm["rep2"]]["score"] == 0 and rows[crm["rep2"]]["missing_fields"] == 0  # the quarter zeroed


def test_sec1_vio3_assessments_are_asked_for_months_of_the_business_range(client, h):
    """The month filter's bounds are SEC-1's years (1900–2199), like every other period."""
    cases = (("190001", 200), ("219912", 200), ("189912", 422), ("220001", 422), ("299912", 422))
    for month, status in cases:
        resp = client.get(f"/api/v1/assessments?month={month}", headers=h("gm"))
        assert resp.status_code == status, (month, resp.text)
        if status == 422:
            assert list(resp.json()["error"]["details"]["fields"]) == ["month"]
