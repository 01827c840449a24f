def test_policy_lists_every_spec_number_with_defaults(client, admin_headers):
    policy = client.get("/api/v1/policy", headers=admin_headers).json()
    assert policy["private_pool_limit_new"] == 300
    assert policy["private_pool_limit_senior"] == 250
    assert policy["private_pool_limit_ka"] == 330
    assert policy["recycle_idle_workdays"] == 5
    assert policy["followup_min_chars"] == 15


def test_policy_patch_is_validated_naming_the_parameter(client, admin_headers):
    resp = client.patch("/api/v1/policy", json={"recycle_idle_workdays": 0}, headers=admin_headers)
    assert resp.status_code == 422
    assert "recycle_idle_workdays" in resp.json()["error"]["details"]["fields"]
    resp = client.patch("/api/v1/policy", json={"no_such_thing": 1}, headers=admin_headers)
    assert resp.status_code == 422
    assert "no_such_thing" in resp.json()["error"]["details"]["fields"]
    resp = client.patch("/api/v1/policy", json={"reminder_time": "25:00"}, headers=admin_headers)
    assert resp.status_code == 422


def test_policy_patch_is_stored_and_audited(client, admin_headers):
    resp = client.patch(
        "/api/v1/policy", json={"private_pool_limit_senior": 260, "_reason": "扩编"}, headers=admin_headers
    )
    assert resp.status_code == 200
    assert client.get("/api/v1/policy", headers=admin_headers).json()["private_pool_limit_senior"] == 260
    audit = client.get("/api/v1/audit", params={"action": "policy.update"}, headers=admin_headers).json()
    assert audit["total"] == 1
    entry = audit["items"][0]
    assert entry["before"] == {"private_pool_limit_senior": 250}
    assert entry["after"] == {"private_pool_limit_senior": 260}
    assert entry["rule"] == "POOL-2" and entry["reason"] == "扩编"


def test_policy_only_admin_may_change(client, admin_headers, make_user):
    from tests.conftest import auth_headers

    make_user("rep")
    resp = client.patch("/api/v1/policy", json={"warn_days": 2}, headers=auth_headers(client, "rep"))
    assert resp.status_code == 403


def test_policy_a_number_is_a_json_number_and_a_flag_a_json_boolean(client, admin_headers):
    """SPEC intro: parameters are validated. `true` was stored as 1 for an int parameter (and "5"
    as 5): a boolean or a text is not a number, nor a number a flag (422 naming it, nothing stored)."""
    for name, junk in (
        ("private_pool_limit_new", True),
        ("recycle_idle_workdays", "5"),
        ("followup_min_chars", 15.0),
        ("release_needs_supervisor", 1),
        ("tier_cadence_days", {"A": True}),
    ):
        resp = client.patch("/api/v1/policy", json={name: junk}, headers=admin_headers)
        assert resp.status_code == 422, (name, junk)
        assert set(resp.json()["error"]["details"]["fields"]) == {name}
    resp = client.patch("/api/v1/policy", json={"private_pool_limit_new": True}, headers=admin_headers)
    assert resp.json()["error"]["details"]["fields"] == {"private_pool_limit_new": "应为整数"}
    policy = client.get("/api/v1/policy", headers=admin_headers).json()
    assert policy["private_pool_limit_new"] == 300 and policy["release_needs_supervisor"] is True
    audit = client.get("/api/v1/audit", params={"action": "policy.update"}, headers=admin_headers).json()
    assert audit["total"] == 0


def test_pool2_deal2_vio1_policy_numbers_that_would_break_their_rule_are_refused(client, admin_headers):
    """A pool limit of 0 (nobody could hold a customer), a day count of 0 or past ten years, a mid
    deal horizon shorter than a short one (DEAL-2), a dismissal before the warning (VIO-1)."""
    for change in (
        {"private_pool_limit_new": 0},
        {"private_pool_limit_senior": -1},
        {"private_pool_limit_ka": 0},
        {"high_growth_contact_days": 100_000},
        {"core_deal_months": 100_000},
        {"backup_overdue_hours": 10**9},
        {"tier_cadence_days": {"A": 0}},
        {"deal_reminder_days": {"short": 100_000}},
        {"deal_mid_months": 2},
        {"violation_dismissal_count": 2},
    ):
        resp = client.patch("/api/v1/policy", json=change, headers=admin_headers)
        assert resp.status_code == 422, change
        assert set(resp.json()["error"]["details"]["fields"]) == set(change)
    ok = client.patch(
        "/api/v1/policy", json={"deal_short_months": 2, "deal_mid_months": 2}, headers=admin_headers
    )
    assert ok.status_code == 200
