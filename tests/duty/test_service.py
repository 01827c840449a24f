"""Duty roster (IN-3, VIO-2) through the services and the API, both engines."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from poolcrm import clock
from poolcrm.duty import service
from poolcrm.inbound import service as inbound
from poolcrm.inbound.schemas import InboundIn
from poolcrm.org.models import User
from poolcrm.policy.service import update_policy
from poolcrm.violations.service import record_violation
from tests.duty.conftest import LAST_MONDAY, add_customer, add_followups, add_won_deal, at

TODAY = date(2026, 11, 25)


def _last_week(database, crm, top_n=10):
    """rep2: 20 visits ¥5000 · rep1: 16 visits ¥1000 · rep4: 15 visits ¥0 · rep3: 3 visits."""
    with database.transaction() as s:
        update_policy(s, crm["admin"], {"duty_top_n": top_n})
        figures = {"rep1": (16, 1000), "rep2": (20, 5000), "rep3": (3, 0), "rep4": (15, 0)}
        for name, (visits, sales) in figures.items():
            c = add_customer(s, f"{name}的客户有限公司", pool="private", owner_id=crm[name])
            add_followups(s, c.id, crm[name], visits)
            if sales:
                add_won_deal(s, c.id, crm[name], sales, at(LAST_MONDAY + timedelta(days=2)))


def test_in3_roster_from_last_weeks_visits_and_sales_with_reasons(client, h, database, crm):
    _last_week(database, crm, top_n=2)
    out = client.get("/api/v1/duty/today", headers=h("cs")).json()
    assert out["date"] == "2026-11-25" and out["week_start"] == "2026-11-23" and out["fallback"] is False
    assert [r["id"] for r in out["on_duty"]] == [crm["rep2"], crm["rep1"]]
    by = {r["id"]: r for r in out["eligible"]}
    assert by[crm["rep2"]]["eligible"] and by[crm["rep2"]]["rank"] == 1
    assert not by[crm["rep3"]]["eligible"] and by[crm["rep3"]]["reason"].startswith("IN-3: 上周有效拜访 3 次")
    assert not by[crm["rep4"]]["eligible"] and "不在前 2 名" in by[crm["rep4"]]["reason"]


def test_in3_roster_fairness_over_a_simulated_week_of_200_inbound_items(database, crm):
    _last_week(database, crm, top_n=3)
    counts: Counter[int] = Counter()
    for i in range(200):
        day = date(2026, 11, 23) + timedelta(days=i * 7 // 200)
        clock.set_now(at(day, 9 + i % 9), frozen=True)
        with database.transaction() as s:
            item = inbound.record_inbound(s, s.get(User, crm["cs"]), InboundIn(company=f"来电新单位{i}号"))
            counts[item.assigned_to] += 1
    eligible = {crm["rep2"], crm["rep1"], crm["rep4"]}
    assert set(counts) == eligible and sum(counts.values()) == 200
    assert max(counts.values()) - min(counts.values()) <= 1


def test_in3_fallback_when_nobody_qualified_and_the_page_says_so(client, h, database, crm):
    out = client.get("/api/v1/duty/today", headers=h("cs")).json()
    assert out["fallback"] is True
    assert [r["id"] for r in out["on_duty"]] == [crm["rep1"], crm["rep2"], crm["rep3"], crm["rep4"]]
    page = client.get("/duty", headers=h("cs"))
    assert page.status_code == 200 and "无人符合值班条件" in page.text


def test_vio2_fake_followup_takes_the_rep_off_the_roster_until_a_manager_reinstates(client, h, database, crm):
    _last_week(database, crm, top_n=3)
    with database.transaction() as s:
        record_violation(
            s,
            user_id=crm["rep2"],
            kind="fake_followup",
            evidence="抽查",
            refs=None,
            actor_id=crm["cs"],
            rule="VIO-2",
        )
    out = client.get("/api/v1/duty/today", headers=h("cs")).json()
    assert crm["rep2"] not in [r["id"] for r in out["on_duty"]]
    rep2 = next(r for r in out["eligible"] if r["id"] == crm["rep2"])
    assert rep2["eligible"] is False and rep2["reason"].startswith("VIO-2")
    later = client.get("/api/v1/duty/days/2026-12-09", headers=h("cs")).json()  # two weeks on: still off
    assert next(r for r in later["eligible"] if r["id"] == crm["rep2"])["eligible"] is False
    body = {"user_id": crm["rep2"], "reason": "已谈话并重新培训，跟进记录抽查合格"}
    refused = client.post("/api/v1/duty/reinstatements", json=body, headers=h("sup"))
    assert refused.status_code == 403 and refused.json()["error"]["rule"] == "VIO-2"
    no_reason = client.post("/api/v1/duty/reinstatements", json={**body, "reason": " "}, headers=h("manager"))
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["details"]["fields"]
    back = client.post("/api/v1/duty/reinstatements", json=body, headers=h("manager"))
    assert back.status_code == 201
    out = client.get("/api/v1/duty/today", headers=h("cs")).json()
    assert next(r for r in out["eligible"] if r["id"] == crm["rep2"])["eligible"] is True
    again = client.post("/api/v1/duty/reinstatements", json=body, headers=h("gm"))
    assert again.status_code == 409 and again.json()["error"]["rule"] == "VIO-2"
    notes = client.get("/api/v1/notifications", headers=h("rep2")).text
    assert "已谈话并重新培训" in notes


def test_in3_admin_overrides_a_day(client, h, database, crm):
    resp = client.put(
        "/api/v1/duty/overrides/2026-11-25",
        json={"user_ids": [crm["rep3"]], "reason": "其他人外出培训"},
        headers=h("admin"),
    )
    assert resp.status_code == 200 and resp.json()["active"] is True
    out = client.get("/api/v1/duty/today", headers=h("cs")).json()
    assert [r["id"] for r in out["on_duty"]] == [crm["rep3"]] and out["source"] == "override"
    with database.transaction() as s:
        item = inbound.record_inbound(s, s.get(User, crm["cs"]), InboundIn(company="某新单位科技有限公司"))
        assert item.assigned_to == crm["rep3"]
    lifted = client.put("/api/v1/duty/overrides/2026-11-25", json={"user_ids": []}, headers=h("admin"))
    assert lifted.json()["active"] is False
    assert client.get("/api/v1/duty/today", headers=h("cs")).json()["source"] != "override"


def test_in3_only_admin_overrides_and_only_active_reps(client, h, crm):
    body = {"user_ids": [crm["rep3"]]}
    assert client.put("/api/v1/duty/overrides/2026-11-25", json=body, headers=h("cs")).status_code == 403
    bad = client.put("/api/v1/duty/overrides/2026-11-25", json={"user_ids": [crm["cs"]]}, headers=h("admin"))
    assert bad.status_code == 422 and "user_ids" in bad.json()["error"]["details"]["fields"]
    assert client.put("/api/v1/duty/overrides/2026-13-01", json=body, headers=h("admin")).status_code == 422


def test_in3_groups_strategy_rotates_sales_groups_by_day(database, crm):
    with database.transaction() as s:
        update_policy(s, crm["admin"], {"duty_strategy": "groups", "duty_groups": 2})
    with database.transaction() as s:
        today = service.on_duty(s, TODAY)
        tomorrow = service.on_duty(s, TODAY + timedelta(days=1))
    group1, group2 = {crm["rep1"], crm["rep2"], crm["rep3"]}, {crm["rep4"]}
    assert {frozenset(today.user_ids), frozenset(tomorrow.user_ids)} == {frozenset(group1), frozenset(group2)}
    assert today.source == "groups"


def test_in3_roster_is_computed_once_per_week_by_the_daily_job(database, crm):
    with database.transaction() as s:
        first = service.roster_step(s, TODAY)
        again = service.roster_step(s, TODAY + timedelta(days=1))
    assert first == {"duty_roster": ["2026-11-23"]} and again == {"duty_roster": []}


def test_in3a_reading_the_roster_fixes_nothing_the_first_inbound_item_does(client, h, database, crm):
    from sqlalchemy import func, select

    from poolcrm.duty.models import DutyWeek

    _last_week(database, crm, top_n=2)
    read = client.get("/api/v1/duty/today", headers=h("cs")).json()
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DutyWeek)) == 0  # a GET wrote nothing
    client.post("/api/v1/inbound", json={"company": "一家新公司有限公司"}, headers=h("cs"))
    with database.transaction() as s:
        week = s.scalar(select(DutyWeek))
        assert week is not None and week.order[: len(read["on_duty"])] == [r["id"] for r in read["on_duty"]]


def test_in3_roster_readable_by_staff_not_by_others(client, h, crm):
    assert client.get("/api/v1/duty/today", headers=h("hr")).status_code == 403
    assert client.get("/api/v1/duty/today", headers=h("rep1")).status_code == 200


def test_in3_vio2_vio3_dsp2_steps_run_in_the_daily_job(client, h, database, crm):
    with database.transaction() as s:
        c = add_customer(s, "上海晨光档案管理有限公司", pool="private", owner_id=crm["rep1"])
        add_followups(s, c.id, crm["rep1"], 2, start=date(2026, 11, 24))
    out = client.post("/api/v1/jobs/run-daily", json={"as_of": "2026-11-25"}, headers=h("admin")).json()
    assert out["duty_roster"] == ["2026-11-23"]
    assert len(out["spot_checks"]) == 1  # rep1's one follow-up of 24 Nov
    assert set(out["assessed"]) == {crm["rep1"], crm["rep2"], crm["rep3"], crm["rep4"]}  # October
    assert out["disputes_opened"] == []


def test_in3a_the_dashboard_card_follows_the_stored_roster_an_override_and_its_lifting(
    client, h, database, crm
):
    """The card reads who is on duty as reference data once the week's roster is stored
    (`service.today_on_duty`, issue 22): every change — the roster stored, a day's override set and
    lifted, a rep leaving — shows on the next read."""
    _last_week(database, crm, top_n=2)

    def card() -> dict:
        with database.transaction(write=False) as s:
            return service.card(s, s.get(User, crm["cs"]))

    assert card()["total"] == 2  # computed from last week's figures, not stored yet
    with database.transaction() as s:
        service.roster_week(s, TODAY)  # stored (the daily run, an inbound call)
    assert card()["total"] == 2 and card()["fallback"] is False
    client.put("/api/v1/duty/overrides/2026-11-25", json={"user_ids": [crm["rep3"]]}, headers=h("admin"))
    assert card()["total"] == 1 and card()["fallback"] is False
    client.put("/api/v1/duty/overrides/2026-11-25", json={"user_ids": []}, headers=h("admin"))
    assert card()["total"] == 2
    with database.transaction() as s:
        s.get(User, crm["rep2"]).active = False  # left the company: off the card at once
    assert card()["total"] == 1
