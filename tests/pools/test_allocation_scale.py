"""POOL-7 at a nationwide company's size: the allocation bin is read a page at a time, longest
waiting first, in as many statements for many customers as for a few (its last move, who gave it
up — POOL-8 — and their names for the page at once); every row's "allocate to" offers a page of
the ranking or the team chosen, not every rep of the company."""

from __future__ import annotations

import re
from datetime import date, timedelta

from poolcrm.org import teams
from poolcrm.ownership.models import OwnershipEvent
from tests.conftest import auth_headers, counted
from tests.pools.conftest import add_customer, at
from tests.web.helpers import HTML, page_login


def _recycled(database, org, n: int, start: int) -> list[int]:
    """`n` bin customers, each recycled (POOL-6) from rep1, one also released (POOL-5) by rep2."""
    ids = []
    with database.transaction() as s:
        for i in range(start, start + n):
            entered = at(date(2026, 11, 2)) + timedelta(minutes=i)
            c = add_customer(s, pool="bin", entered=entered)
            s.flush()
            for moved, who, rule in (
                (entered - timedelta(days=30), org["rep2"], "POOL-5"),
                (entered, org["rep1"], "POOL-6"),
            ):
                s.add(
                    OwnershipEvent(
                        customer_id=c.id,
                        at=moved,
                        from_owner_id=who,
                        from_pool="private",
                        to_pool="bin",
                        rule=rule,
                    )
                )
            ids.append(c.id)
    return ids


def test_pool7_the_bin_reads_as_many_statements_for_many_customers(client, org, database):
    headers = auth_headers(client, "gm")
    _recycled(database, org, 2, 0)
    client.get("/api/v1/allocation/bin", headers=headers)  # the policy and the calendar read once
    with counted(database) as few:
        body = client.get("/api/v1/allocation/bin", headers=headers).json()
    assert body["total"] == 2 and body["items"][0]["rule"] == "POOL-6"
    assert body["items"][0]["from_owner"]["id"] == org["rep1"]
    assert body["items"][0]["given_up_by"] == sorted([org["rep1"], org["rep2"]])
    _recycled(database, org, 10, 2)
    with counted(database) as many:
        assert len(client.get("/api/v1/allocation/bin", headers=headers).json()["items"]) == 12
    assert len(many) == len(few)
    page_login(client, "gm")
    client.get("/allocation", headers=HTML)
    with counted(database) as page_few:
        client.get("/allocation", headers=HTML)
    _recycled(database, org, 10, 12)
    with counted(database) as page_many:
        assert client.get("/allocation", headers=HTML).status_code == 200
    assert len(page_many) == len(page_few)


def test_pool7_the_bin_a_page_at_a_time_longest_waiting_first(client, org, database):
    ids = _recycled(database, org, 5, 0)
    headers = auth_headers(client, "gm")
    second = client.get("/api/v1/allocation/bin?page=2&page_size=2", headers=headers).json()
    assert [i["customer_id"] for i in second["items"]] == ids[2:4]
    assert (second["total"], second["total_capped"]) == (5, False)
    for junk in ("page=0", "page_size=501", "page=x", "page_size=-1"):
        assert client.get(f"/api/v1/allocation/bin?{junk}", headers=headers).status_code == 422, junk


def test_pool7_each_row_offers_a_page_of_the_ranking_or_the_team_chosen(client, org, database, monkeypatch):
    monkeypatch.setattr(teams, "ROWS_PER_PAGE_MAX", 2)  # sup, rep1..rep3 (销售一部) and ka (KA部)
    (cid,) = _recycled(database, org, 1, 0)
    page_login(client, "gm")
    html = client.get("/allocation", headers=HTML).text

    def offered(text: str, select: str = "to_user_id") -> list[str]:
        options = re.search(rf'<select name="{select}">(.*?)</select>', text, flags=re.S).group(1)
        return re.findall(r'<option value="(\d+)">', options)

    assert len(offered(html)) == 2 and 'data-testid="reps-offered"' in html
    assert set(offered(html, f"to_{cid}")) <= set(offered(html)) - {str(org["rep1"]), str(org["rep2"])}
    ka_team = re.search(r'<option value="(\d+)" >KA部</option>', html).group(1)
    chosen = client.get(f"/allocation?team={ka_team}", headers=HTML).text
    assert offered(chosen) == offered(chosen, f"to_{cid}") == [str(org["ka"])]
