"""LIST-2 on the CS inbox: the page reads one page of applications (each pending one runs its
duplicate check as the page is read), oldest first, with a next page; the API says when its
count is capped."""

from __future__ import annotations

from poolcrm import db
from poolcrm.customers import inbox
from poolcrm.org.models import User
from tests.pools.test_lists_scale import counted

HTML = {"Accept": "text/html"}
NAMES = ("上海天成贸易有限公司", "广州宏图科技有限公司", "深圳远洋信息技术有限公司")


def test_list2_the_inbox_pages_its_applications_oldest_first(client, org, register, monkeypatch):
    monkeypatch.setattr(inbox, "INBOX_PAGE", 2)
    for n, name in enumerate(NAMES):
        made = register(org["h"]["rep"], name=name, phone=f"021-5555{n:04d}", confirm_warnings=True)
        assert made.status_code == 201, made.text
    first = client.get("/applications", headers={**org["h"]["cs"], **HTML}).text
    assert NAMES[0] in first and NAMES[1] in first and NAMES[2] not in first
    assert 'data-testid="inbox-next"' in first and "共 3 条" in first
    second = client.get("/applications?page=2", headers={**org["h"]["cs"], **HTML}).text
    assert NAMES[2] in second and NAMES[0] not in second and 'data-testid="inbox-next"' not in second


def test_list2_the_applications_deals_and_audit_apis_say_when_the_count_is_capped(
    client, org, register, monkeypatch
):
    monkeypatch.setattr(db, "COUNT_CAP", 2)
    for n, name in enumerate(NAMES):
        register(org["h"]["rep"], name=name, phone=f"021-5555{n:04d}", confirm_warnings=True)
    listed = client.get("/api/v1/applications?status=pending&page_size=1", headers=org["h"]["cs"]).json()
    assert (listed["total"], listed["total_capped"], len(listed["items"])) == (2, True, 1)
    audit = client.get("/api/v1/audit?page_size=1", headers=org["h"]["admin"]).json()
    assert (audit["total"], audit["total_capped"]) == (2, True)
    deals = client.get("/api/v1/deals", headers=org["h"]["rep"]).json()
    assert (deals["total"], deals["total_capped"]) == (0, False)


def test_list2_the_inbox_checks_its_pending_rows_for_duplicates_in_one_batch(
    client, org, register, database, monkeypatch
):
    """CUS-7 on the inbox page: as many statements for six pending registrations as for two, and
    each row still shows its own candidates (the earlier registration of the same company)."""
    monkeypatch.setattr(inbox, "INBOX_PAGE", 20)
    cs = {**org["h"]["cs"], **HTML}

    def statements() -> int:
        client.get("/applications", headers=cs)  # warm
        with counted(database) as seen:
            assert client.get("/applications", headers=cs).status_code == 200
        return len(seen)

    def made(names: tuple[str, ...], area: str) -> None:
        for n, name in enumerate(names):
            resp = register(
                org["h"]["rep"],
                name=name,
                phone=f"{area}-6666{n:04d}",
                confirm_warnings=True,
                confirm_duplicates=True,
            )
            assert resp.status_code == 201, resp.text

    made(("杭州青山机械有限公司", "杭州青山机械设备有限公司"), "0571")
    few = statements()
    made((*NAMES, "成都锦江食品有限公司"), "028")
    assert statements() == few
    rows = {r["customer"].name: r["duplicates"] for r in _inbox(database, org)}
    assert [d["name"] for d in rows["杭州青山机械设备有限公司"]] == ["杭州青山机械有限公司"]
    assert [d["name"] for d in rows["杭州青山机械有限公司"]] == ["杭州青山机械设备有限公司"]
    assert rows["成都锦江食品有限公司"] == []


def _inbox(database, org):
    with database.transaction() as s:
        user = s.get(User, org["ids"]["cs"])
        return inbox.inbox(s, user, "pending", "zh")["rows"]
