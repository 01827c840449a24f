"""SVC-6: the customer rates a closed ticket once, without logging in, through a signed, expiring,
single-use link; forged, reused and expired links get a clear page (never a 500); guessing is slowed."""

from __future__ import annotations

from datetime import timedelta

from poolcrm import clock
from poolcrm.policy.rules import Policy
from tests.service.conftest import NOW


def _closed(client, h, open_ticket):
    t = open_ticket(kind="online")
    client.post(
        f"/api/v1/tickets/{t['id']}/assign", json={"user_id": _me(client, h, "svc1")}, headers=h("svcsup")
    )
    client.post(f"/api/v1/tickets/{t['id']}/accept", headers=h("svc1"))
    client.post(f"/api/v1/tickets/{t['id']}/resolve", json={"result": "远程指导完成"}, headers=h("svc1"))
    client.post(f"/api/v1/tickets/{t['id']}/close", json={}, headers=h("cs"))
    return t


def _me(client, h, user):
    return client.get("/api/v1/me", headers=h(user)).json()["id"]


def _path(url: str) -> str:
    return url[url.index("/rate/") :]


def test_svc6_link_only_for_a_closed_ticket(client, h, open_ticket):
    t = open_ticket(kind="online")
    resp = client.get(f"/api/v1/tickets/{t['id']}/rating-link", headers=h("cs"))
    assert resp.status_code == 409 and resp.json()["error"]["rule"] == "SVC-6"


def test_svc6_rate_once_without_login_then_the_link_is_used(client, h, open_ticket):
    t = _closed(client, h, open_ticket)
    link = client.get(f"/api/v1/tickets/{t['id']}/rating-link", headers=h("cs")).json()
    assert t["number"] in link["text"] and link["url"] in link["text"]
    path = _path(link["url"])
    client.cookies.clear()
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="rate-form"' in page.text
    bad = client.post(path, data={"score": "9", "comment": ""})
    assert bad.status_code == 422 and 'data-testid="rate-error"' in bad.text
    done = client.post(path, data={"score": "4", "comment": "响应及时"})
    assert done.status_code == 200 and 'data-testid="rate-thanks"' in done.text
    again = client.post(path, data={"score": "1", "comment": "刷分"})
    assert again.status_code == 410 and 'data-testid="rate-used"' in again.text
    rated = client.get(f"/api/v1/tickets/{t['id']}", headers=h("cs")).json()
    assert rated["rating"]["score"] == 4 and rated["rating"]["comment"] == "响应及时"
    assert client.get(f"/api/v1/tickets/{t['id']}/rating-link", headers=h("cs")).status_code == 409


def test_svc6_forged_expired_and_replaced_links_are_refused_with_a_page(client, h, open_ticket):
    t = _closed(client, h, open_ticket)
    first = _path(client.get(f"/api/v1/tickets/{t['id']}/rating-link", headers=h("cs")).json()["url"])
    second = _path(client.get(f"/api/v1/tickets/{t['id']}/rating-link", headers=h("cs")).json()["url"])
    client.cookies.clear()
    assert 'data-testid="rate-used"' in client.get(first).text  # replaced by the newer link
    forged = second[:-3] + ("AAA" if not second.endswith("AAA") else "BBB")
    for path in (forged, "/rate/x", "/rate/" + "a" * 5000, "/rate/%00%01"):
        resp = client.get(path)
        assert resp.status_code in (404, 422), path
    assert 'data-testid="rate-invalid"' in client.post(forged, data={"score": "5"}).text
    clock.set_now(NOW + timedelta(days=15), frozen=True)
    resp = client.post(second, data={"score": "5"})
    assert resp.status_code == 410 and 'data-testid="rate-expired"' in resp.text


def test_svc6a_an_address_that_keeps_guessing_is_slowed_down(client, h, team):
    client.cookies.clear()
    for _ in range(Policy().rating_attempts_limit):
        assert client.post("/rate/forged.token", data={"score": "5"}).status_code == 404
    assert client.post("/rate/forged.token", data={"score": "5"}).status_code == 429
