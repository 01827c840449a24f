"""POOL-12: a customer's ownership history says why each move happened in the reader's language —
the system's own reasons are catalogue messages; what a person wrote is shown as written."""

from __future__ import annotations

from poolcrm import clock
from poolcrm.ownership.models import OwnershipEvent
from tests.conftest import PASSWORD
from tests.pools.conftest import add_customer, org  # noqa: F401


def test_pool12_system_reasons_read_in_english_and_a_persons_words_as_written(client, database, org):  # noqa: F811
    with database.transaction() as s:
        c = add_customer(s, pool="public", name="北京友好创达科技有限公司")
        for reason, rule in (("超过回收期限无有效跟进", "POOL-6"), ("客户说下季度再谈", "POOL-5")):
            s.add(
                OwnershipEvent(
                    customer_id=c.id,
                    at=clock.now(),
                    from_pool="private",
                    to_pool="public",
                    rule=rule,
                    reason=reason,
                )
            )
        cid = c.id
    client.post("/login", data={"username": "gm", "password": PASSWORD, "next": "/"}, follow_redirects=False)
    client.cookies.set("poolcrm_lang", "en")
    page = client.get(f"/customers/{cid}", headers={"Accept": "text/html"}).text
    assert "No valid follow-up within the recycle period" in page and "超过回收期限" not in page
    assert "客户说下季度再谈" in page
