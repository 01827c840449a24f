"""Lists that stay fast at any size (issue 22): the statements a list page runs do not grow with
its rows (no N+1), and its count stops at `listing.COUNT_CAP` ("1000+")."""

from __future__ import annotations

import pytest

from poolcrm import db
from poolcrm.customers import listing
from tests.conftest import auth_headers, counted

LISTS = [
    ("gm", "/api/v1/customers?pool=all"),
    ("gm", "/api/v1/customers?pool=all&q=测试客户"),
    ("gm", "/customers?pool=all"),
    ("gm", "/customers?pool=bin"),
    ("rep1", "/api/v1/customers?pool=mine"),
    ("rep1", "/api/v1/customers?pool=public"),
    ("rep1", "/pools/mine"),
    ("rep1", "/pools/public"),
]


def _fill(customers, org, start: int, stop: int) -> None:
    reps = [org["rep1"], org["rep2"], org["rep3"]]
    for n in range(start, stop):
        pool = ("private", "public", "bin")[n % 3]
        owner = reps[n % len(reps)] if pool == "private" else None
        if pool == "private" and n % 2:
            owner = org["rep1"]
        customers(pool=pool, owner_id=owner)


@pytest.mark.parametrize(("who", "url"), LISTS)
def test_a_list_runs_as_many_statements_for_sixty_rows_as_for_six(client, database, org, customers, who, url):
    headers = auth_headers(client, who)
    _fill(customers, org, 0, 6)
    client.get(url, headers=headers)  # warm: the policy and the session are read once per process
    with counted(database) as few:
        assert client.get(url, headers=headers).status_code == 200
    _fill(customers, org, 6, 60)
    with counted(database) as many:
        assert client.get(url, headers=headers).status_code == 200
    # the same statements, but for the count a full first page needs (a short one is its own count)
    assert len(_rows_read(many)) == len(_rows_read(few)), "\n".join(many)
    assert len(many) - len(few) in (0, 1)


def _rows_read(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith("SELECT count(*)")]


def test_a_list_counts_up_to_the_cap_and_says_there_are_more(client, org, customers, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "COUNT_CAP", 5)
    for _ in range(8):
        customers(pool="public")
    gm = auth_headers(client, "gm")
    paged = client.get("/api/v1/customers?pool=public&page_size=2", headers=gm).json()
    assert (paged["total"], paged["total_capped"], len(paged["items"])) == (5, True, 2)
    whole = client.get("/api/v1/customers?pool=public&page_size=50", headers=gm).json()
    assert (whole["total"], whole["total_capped"], len(whole["items"])) == (8, False, 8)
    assert "共 5+ 个" in client.get("/customers?pool=public&page=2", headers=gm).text


@pytest.mark.parametrize(
    "url", ["/api/v1/deals", "/api/v1/contracts", "/api/v1/tickets", "/api/v1/customers"]
)
def test_list_2_a_first_page_that_is_not_full_is_its_own_count(client, database, org, customers, url):
    """LIST-2 (`db.first_page_total`): the rows are read first, and a first page holding fewer than
    the page's size is the whole list — no counting statement (the dashboards' cards and the
    customer page's sections read several such short lists on every view)."""
    customers(pool="public")
    headers = auth_headers(client, "gm")
    client.get(url, headers=headers)  # warm
    with counted(database) as seen:
        body = client.get(url, headers=headers).json()
    assert body["total"] == len(body["items"]) < 50
    assert not [s for s in seen if "count(" in s.lower()], "\n".join(seen)


@pytest.mark.parametrize("url", ["/api/v1/customers?pool=mine", "/customers?pool=mine"])
def test_my_pool_names_its_owner_without_reading_the_users(client, database, org, customers, url):
    """A rep's own pool is owned by the signed-in rep: their name comes with the session's user
    (`org.service.people_by_id(known=…)`), not from another statement."""
    _fill(customers, org, 0, 6)
    for rep in ("rep2", "rep3"):
        customers(pool="private", owner_id=org[rep])
    headers = auth_headers(client, "rep1")
    client.get(url, headers=headers)  # warm
    with counted(database) as seen:
        answer = client.get(url, headers=headers)
    assert answer.status_code == 200
    names = [s for s in seen if s.startswith("SELECT users.id, users.display_name")]
    assert not names, "\n".join(seen)
    if url.startswith("/api/"):
        owners = {c["owner"]["display_name"] for c in answer.json()["items"]}
        assert len(owners) == 1 and None not in owners
    others = client.get("/api/v1/customers?pool=all", headers=auth_headers(client, "gm")).json()["items"]
    assert len({c["owner"]["id"] for c in others if c["owner"]}) == 3  # other reps still named
