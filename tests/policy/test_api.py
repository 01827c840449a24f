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
