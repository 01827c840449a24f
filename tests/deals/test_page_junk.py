"""SEC-1 on page forms: junk in an amount or an id answers the form again with the field named,
never a 500."""

from __future__ import annotations

from tests.web.helpers import page_login

HTML = {"Accept": "text/html"}


def test_sec1_deal_win_page_refuses_non_finite_amounts(client, team, new_deal):
    deal = new_deal("rep")
    csrf = page_login(client, "rep")
    for junk in ("NaN", "1e999", "-Infinity", "abc", "9" * 40):
        resp = client.post(
            f"/deals/{deal['id']}/win",
            data={"csrf_token": csrf, "actual_amount": junk, "contract_no": "HT-1"},
            headers=HTML,
            follow_redirects=False,
        )
        assert resp.status_code == 422, junk
        assert "金额格式不正确" in resp.text


def test_sec1_allocation_plan_form_refuses_ids_that_are_not_ids(client, make_user):
    make_user("gm", ["gm"], dept="总经办", kind="other")
    csrf = page_login(client, "gm")
    for key, value in (("to_abc", "1"), ("to_1", "x"), ("to_99999999999999999999", "2")):
        resp = client.post(
            "/allocation/plans", data={"csrf_token": csrf, key: value}, headers=HTML, follow_redirects=False
        )
        assert resp.status_code < 500, (key, value)


def test_fu1_a_stored_but_invalid_progress_redirects_to_the_deal_with_an_amber_banner(client, team, new_deal):
    deal = new_deal("rep")
    csrf = page_login(client, "rep")
    resp = client.post(
        f"/deals/{deal['id']}/progress",
        data={
            "csrf_token": csrf,
            "details": "电话未接通，明天再打",
            "next_plan": "再联系",
            "subject": "致电",
            "counts_as_contact": "1",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text  # POST-redirect-GET: a refresh adds no second entry
    where = resp.headers["location"]
    assert where.startswith(f"/deals/{deal['id']}?flash=") and "flash_kind=warn" in where
    shown = client.get(where, headers=HTML)
    assert shown.status_code == 200 and 'class="flash warn"' in shown.text
