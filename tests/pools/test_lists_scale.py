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


def _counts(statements: list[str]) -> list[str]:
    """The customer counts among `statements` (a page also counts the unread notifications)."""
    return [s for s in statements if s.startswith("SELECT count(*)") and "customers.id" in s]


def test_list_4_a_search_whose_public_matches_pass_the_cap_says_so_without_counting_again(
    client, database, org, customers, monkeypatch
):
    """LIST-4: the public pool's matches alone pass the cap, so every list holding the public pool
    does — for whoever asks, within the minute, without a count; a rep's own pool is counted live."""
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)  # the suite counts live (conftest)
    for _ in range(8):
        customers(pool="public")
    for _ in range(3):
        customers(pool="private", owner_id=org["rep1"])
    rep, gm = auth_headers(client, "rep1"), auth_headers(client, "gm")
    url = "/api/v1/customers?pool=all&q=测试客户&page_size=2"
    first = client.get(url, headers=rep).json()
    assert (first["total"], first["total_capped"], len(first["items"])) == (5, True, 2)
    for who in (rep, gm):
        with counted(database) as seen:
            again = client.get(url, headers=who).json()
        assert (again["total"], again["total_capped"]) == (5, True)
        assert not _counts(seen), "\n".join(seen)
    with counted(database) as seen:
        page = client.get("/customers?q=测试客户", headers=rep)  # the page's own list, same search
    assert page.status_code == 200 and not _counts(seen)
    with counted(database) as seen:
        mine = client.get("/api/v1/customers?pool=mine&q=测试客户&page_size=2", headers=rep).json()
    assert (mine["total"], mine["total_capped"]) == (3, False) and _counts(seen)


def test_list_4_a_search_under_the_cap_in_the_public_pool_is_counted_live(
    client, database, org, customers, monkeypatch
):
    """LIST-4: fewer public matches than the cap decide nothing — each list counts its own, live,
    and a match added since shows at once."""
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)
    for _ in range(2):
        customers(pool="public")
    customers(pool="private", owner_id=org["rep1"])
    customers(pool="private", owner_id=org["rep2"])
    rep = auth_headers(client, "rep1")
    url = "/api/v1/customers?pool=all&q=测试客户&page_size=2"
    assert (client.get(url, headers=rep).json()["total"]) == 3  # 2 public + the rep's own
    customers(pool="private", owner_id=org["rep1"])
    with counted(database) as seen:
        body = client.get(url, headers=rep).json()
    assert (body["total"], body["total_capped"]) == (4, False) and _counts(seen)


def test_list_4_a_list_without_a_search_whose_public_pool_passes_the_cap_says_so_without_counting(
    client, database, org, customers, monkeypatch
):
    """LIST-4 without a search: the whole list holds the public pool, whose customers alone pass the
    cap — the GM's and a rep's "all" and the public list say "1000+" within the minute without a
    count; a rep's own pool and a filter that leaves the public pool under the cap count live."""
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "COUNT_CAP", 5)
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)
    for _ in range(8):
        customers(pool="public")
    for _ in range(3):
        customers(pool="private", owner_id=org["rep1"])
    rep, gm = auth_headers(client, "rep1"), auth_headers(client, "gm")
    first = client.get("/api/v1/customers?pool=all&page_size=2", headers=gm).json()
    assert (first["total"], first["total_capped"]) == (5, True)
    for who, url in (
        (gm, "/api/v1/customers?pool=all&page_size=2"),
        (rep, "/api/v1/customers?pool=public&page_size=2"),
    ):
        with counted(database) as seen:
            body = client.get(url, headers=who).json()
        assert (body["total"], body["total_capped"], len(body["items"])) == (5, True, 2)
        assert not _counts(seen), "\n".join(seen)
    with counted(database) as seen:
        mine = client.get("/api/v1/customers?pool=mine&page_size=2", headers=rep).json()
    assert (mine["total"], mine["total_capped"]) == (3, False) and _counts(seen)
    with counted(database) as seen:
        owned = client.get(f"/api/v1/customers?pool=all&owner={org['rep1']}&page_size=2", headers=gm).json()
    assert (owned["total"], owned["total_capped"]) == (3, False) and _counts(seen)


@pytest.mark.parametrize("url", ["/api/v1/customers?pool=all", "/api/v1/customers?pool=all&q=测试客户"])
def test_a_list_names_each_rows_owner_in_its_own_statement(client, database, org, customers, url):
    """Issue 22: the owners' names come with the page's rows (a subquery per row of the page), not
    from a statement of their own; every owned row names its owner, a public one nobody."""
    customers(pool="private", owner_id=org["rep1"])
    customers(pool="private", owner_id=org["rep2"])
    customers(pool="public")
    gm = auth_headers(client, "gm")
    with counted(database) as seen:
        items = client.get(url, headers=gm).json()["items"]
    assert not [s for s in seen if s.startswith("SELECT users.id, users.display_name")], "\n".join(seen)
    names = {u["id"]: u["display_name"] for u in client.get("/api/v1/users", headers=gm).json()}
    by_pool = sorted((c["pool"], c["owner"] and c["owner"]["display_name"]) for c in items)
    assert by_pool == sorted(
        [("private", names[org["rep1"]]), ("private", names[org["rep2"]]), ("public", None)]
    )


@pytest.mark.parametrize("sort", ["-id", "name", "-created_at"])
def test_a_searched_list_is_built_once_per_shape_of_term_and_each_term_finds_its_own(
    client, database, org, customers, sort
):
    """Issue 22 (`listing._searched`): two terms read the same way (one bigram's postings, the same
    parts) run one statement built once, each with its own values bound — each finds its own
    customers, never the other's; a term read another way (a phone's digits) is another statement."""
    tech = {customers(name=f"测试{n}号科技有限公司", pool="public") for n in range(3)}
    trade = {customers(name=f"测试{n}号贸易有限公司", pool="public") for n in range(2)}
    gm = auth_headers(client, "gm")
    listing._PLAIN.clear()
    for term, expected in (("科技", tech), ("贸易", trade), ("科技", tech)):
        body = client.get("/api/v1/customers", params={"q": term, "sort": sort}, headers=gm).json()
        assert {c["id"] for c in body["items"]} == expected and body["total"] == len(expected)
    searched = [key for key in listing._PLAIN if isinstance(key[-1], tuple) and key[-1][1]]
    assert len(searched) == 1, searched
    client.get("/api/v1/customers", params={"q": "62345678", "sort": sort}, headers=gm)
    assert len([key for key in listing._PLAIN if isinstance(key[-1], tuple) and key[-1][1]]) == 2


def test_list_6_the_tag_filter_keeps_the_tag_itself_not_every_tag_containing_it(client, org, customers):
    vip = customers(pool="public", tags=["VIP", "重点"])
    customers(pool="public", tags=["VIP客户"])
    percent = customers(pool="public", tags=["100%到款"])
    customers(pool="public", tags=["100到款"])
    gm = auth_headers(client, "gm")

    def found(tag: str) -> list[int]:
        response = client.get("/api/v1/customers", params={"pool": "all", "tag": tag}, headers=gm)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert found("VIP") == [vip]
    assert found("重点") == [vip]
    assert found("100%到款") == [percent]
    assert found("%") == []
    assert found('"') == []
