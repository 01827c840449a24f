"""The list's search box (issue 22, `customers.search`): what a term finds, the same whether the
name matches are read from the CUS-7 bigram postings or by scanning, and which way is chosen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from poolcrm import db
from poolcrm.customers import dedupe, listing, names, search
from poolcrm.customers.models import Customer, CustomerNameGram
from tests.conftest import counted

NAMES = {
    "friendly": ("北京市友好创达信息科技有限公司", "张三", "010-62345678"),
    "bright": ("上海光明乳业有限公司", "李四", "021-55558888"),
    "fortune": ("深圳华信通讯科技有限公司", "王五", "0755-77099226"),
}


@pytest.fixture
def book(client, org, approved):
    ids = {}
    for label, (name, contact, phone) in NAMES.items():
        ids[label] = approved("rep", name=name, contact_name=contact, phone=phone)
    return ids


def _found(client, headers, term, pool="all", sort="-id"):
    params = {"q": term, "pool": pool, "sort": sort}
    listed = client.get("/api/v1/customers", params=params, headers=headers).json()
    return {c["id"] for c in listed["items"]}


TERMS = [
    ("友好创达", {"friendly"}),  # a fragment of the name
    ("友好創達", {"friendly"}),  # Traditional input
    ("北京友好", {"friendly"}),  # the place before the name
    ("科技", {"friendly", "fortune"}),
    ("光明乳业有限公司", {"bright"}),
    ("有限公司", {"friendly", "bright", "fortune"}),  # no name of its own: the whole name is read
    ("李四", {"bright"}),  # the contact
    ("张三", {"friendly"}),
    ("shgm", {"bright"}),  # pinyin initials of the whole name
    ("SHGMRY", {"bright"}),
    ("77099226", {"fortune"}),  # phone digits
    ("不存在的公司", set()),
    ("50%_", set()),  # LIKE wildcards are text
]


@pytest.mark.parametrize(
    ("sort", "postings"), [("-id", True), ("name", True), ("name", False)], ids=["by-id", "postings", "scan"]
)
@pytest.mark.parametrize(("term", "expected"), TERMS)
def test_search_finds_the_same_customers_by_the_postings_and_by_scanning(
    client, org, book, monkeypatch, sort, postings, term, expected
):
    """In id order the postings serve every term with a core; in another order the cost decides."""
    monkeypatch.setattr(search, "_postings_are_cheaper", lambda *_: postings)
    assert _found(client, org["h"]["sup"], term, sort=sort) == {book[k] for k in expected}


@pytest.mark.parametrize("sort", ["-id", "name"])
def test_search_pages_through_the_union_of_name_and_contact_matches(client, org, approved, sort):
    """Each branch is read up to the page's last row: page by page, every match once, in order."""
    ids = {
        approved("rep", name="北京华信一号科技有限公司", contact_name="张三", phone="010-61111111"),
        approved("rep", name="上海华信二号贸易有限公司", contact_name="李四", phone="021-62222222"),
        approved("rep", name="广州明珠电子有限公司", contact_name="华信", phone="020-63333333"),
    }
    seen, totals = [], set()
    for page in (1, 2, 3, 4):
        params = {"q": "华信", "page": page, "page_size": 1, "sort": sort}
        listed = client.get("/api/v1/customers", params=params, headers=org["h"]["sup"]).json()
        seen += [c["id"] for c in listed["items"]]
        totals.add(listed["total"])
    assert sorted(seen) == sorted(ids) and len(seen) == 3
    if sort == "-id":
        assert seen == sorted(ids, reverse=True)
    assert totals == {3}


def test_search_finds_a_customer_by_its_code(client, org, book, database):
    with database.transaction() as s:
        code = s.get(Customer, book["bright"]).code
    assert _found(client, org["h"]["sup"], code.lower()) == {book["bright"]}


def test_search_within_my_pool_and_scope_only(client, org, book):
    assert _found(client, org["h"]["rep"], "科技", pool="mine") == {book["friendly"], book["fortune"]}
    assert _found(client, org["h"]["other"], "科技") == set()  # another team's private customers


def test_a_rare_term_reads_the_postings_and_a_common_one_scans(book, database):
    """sqrt(cap × customers / 10) decides: with a cap of 1 and three customers, a bigram held by 30
    is scanned for and one held by one customer read from its postings; with a cap of 10,000, both."""
    with database.transaction() as s:
        for n in range(30):
            s.add(CustomerNameGram(gram="公司", customer_id=10_000 + n))
        s.flush()
        assert search._postings_are_cheaper(s, ("友好",), None, 1)
        assert not search._postings_are_cheaper(s, ("公司",), None, 1)
        assert search._postings_are_cheaper(s, ("公司",), None, 10_000)
        assert not search._postings_are_cheaper(
            s, ("公司",), 100, 10_000
        )  # the last count, when there is one


def test_search_counts_are_capped_like_the_list(client, org, book, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 1)
    monkeypatch.setattr(db, "COUNT_CAP", 1)
    listed = client.get(
        "/api/v1/customers", params={"q": "有限公司", "page_size": 1}, headers=org["h"]["sup"]
    ).json()
    assert (listed["total"], listed["total_capped"]) == (1, True)


SHORT_CORE_NAMES = {
    "studio": "深圳华瑞博源工作室",  # places, normal form, legal form
    "plant": "某某化工厂",  # 化工 inside the normal form, 工厂 across its end
    "zone": "苏州工业园区博雅化工有限公司",  # a development zone in the place
    "friendly": "北京市友好创达信息科技有限公司",
    "river": "河北京华贸易有限公司",  # 北京 across a place's border, after the lead 河北
    "twice": "北京北京路商贸有限公司",  # 北京 opening the name and again inside it
    "bracket": "（北京）华瑞博源科技",  # 北京 first once normalised, not as written
}
# Terms whose core (LIST-1) is shorter than two characters: inside a place, across a border, in a legal form.
SHORT_CORE_TERMS = [
    "化工",
    "北京",
    "京市",
    "圳华",
    "源工",
    "工作室",
    "工厂",
    "有限",
    "技有",
    "有限公司",
    "园区",
    "州工",
    "河北",
    "北京市",
]


def _expected(term: str, names_by_label: dict[str, str]) -> set[str]:
    """LIST-1 by its words: the name holds the term, or the normal form holds the term's."""
    key = names.name_key(term)
    return {
        label
        for label, name in names_by_label.items()
        if term in name or (key and key in names.name_key(name))
    }


@pytest.mark.parametrize("term", SHORT_CORE_TERMS)
def test_list_1_a_short_core_term_reads_the_edge_postings_and_finds_every_match(
    client, org, approved, database, monkeypatch, term
):
    """A term whose core is shorter than two characters reads the postings (no scan of every
    customer) and finds what LIST-1 says, in id order and, sorted otherwise, by postings or scan."""
    ids = {label: approved("rep", name=name) for label, name in SHORT_CORE_NAMES.items()}
    expected = {ids[label] for label in _expected(term, SHORT_CORE_NAMES)}
    assert expected, term
    with database.transaction() as s:
        found = search.match(s, term, "all", 1000)
        marks = {g[0] for g in found.grams[1:]}
        assert found.scan is None and len(found.grams[0]) == 2, found
        assert marks <= {dedupe.EDGE_MARK, dedupe.LEAD_MARK} and dedupe.EDGE_MARK in marks, found
    assert _found(client, org["h"]["sup"], term) == expected
    for postings in (True, False):
        monkeypatch.setattr(search, "_postings_are_cheaper", lambda *_, p=postings: p)
        assert _found(client, org["h"]["sup"], term, sort="name") == expected


def test_list_1_every_bigram_of_a_live_name_is_posted(client, org, approved, database):
    """The normal form's postings and the edge postings hold each bigram of a live record's
    normalised name, through registration, a rename and a tombstone."""
    cid = approved("rep", name="深圳市华瑞博源科技有限公司")
    with database.transaction() as s:
        held = set(s.scalars(select(CustomerNameGram.gram).where(CustomerNameGram.customer_id == cid)))
        text = names.normalize_text("深圳市华瑞博源科技有限公司")
        assert {g.lstrip(dedupe.EDGE_MARK + dedupe.LEAD_MARK) for g in held} == {
            text[i : i + 2] for i in range(len(text) - 1)
        }
        assert held == set(dedupe.posting_grams("深圳市华瑞博源科技有限公司"))
        dedupe.reindex_customer(s, cid, "深圳市华瑞博源科技有限公司", "广州华瑞博源贸易集团")
        held = set(s.scalars(select(CustomerNameGram.gram).where(CustomerNameGram.customer_id == cid)))
        assert held == set(dedupe.posting_grams("广州华瑞博源贸易集团")) and "^广州" in held
        dedupe.unindex_customer(s, cid, "广州华瑞博源贸易集团", names.name_key("广州华瑞博源贸易集团"))
        assert not s.scalars(select(CustomerNameGram.gram).where(CustomerNameGram.customer_id == cid)).all()


def test_list_1_the_duplicate_check_never_reads_an_edge_posting():
    """Edge postings are marked with a character no normal form keeps."""
    marks = (dedupe.EDGE_MARK, dedupe.LEAD_MARK)
    for name in (*SHORT_CORE_NAMES.values(), "＃北京#友好", "^北京^友好"):
        assert not any(g.startswith(marks) for g in dedupe.grams_of(name))
        assert all(g.startswith(marks) for g in dedupe.edge_grams(name))


@pytest.mark.parametrize(
    ("name", "lead"),
    [
        ("北京市友好创达信息科技有限公司", "^北京"),
        ("广州华瑞博源贸易集团", "^广州"),
        ("河北京华贸易有限公司", "^河北"),
        ("北京北京路商贸有限公司", None),  # 北京 again inside: an edge posting
        ("（北京）华瑞博源科技", None),  # not the name's first characters as written
        ("ABC北京科技有限公司", None),  # written in capitals
        ("友好创达信息科技", None),  # opens with its normal form
    ],
)
def test_list_1_an_edge_bigram_opening_the_name_and_nowhere_else_is_a_lead_posting(name, lead):
    leads = [g for g in dedupe.edge_grams(name) if g.startswith(dedupe.LEAD_MARK)]
    assert leads == ([lead] if lead else [])


def test_list_1_sorted_by_name_a_term_opening_most_names_is_a_range_and_the_rest_postings(
    client, org, approved, database, monkeypatch
):
    """北京 sorted by name: the names beginning with it are read as a range of the name index and
    the rest from the postings of the names holding it elsewhere; a Traditional or capitalised
    term (not as names are written) reads every posting instead — the same customers either way."""
    ids = {label: approved("rep", name=name) for label, name in SHORT_CORE_NAMES.items()}
    monkeypatch.setattr(search, "_postings_are_cheaper", lambda *_: True)
    with database.transaction() as s:
        found = search.match(s, "北京", "all", 1000, by_id=False, name_order=True)
        assert (found.params["q_lead_from"], found.grams) == ("北京", ("北京", "#北京"))
        assert search.match(s, "北京", "all", 1000, by_id=False).lead is None  # sorted otherwise
        assert search.match(s, "北京", "all", 1000).grams == ("北京", "#北京", "^北京")  # in id order
        hebei = search.match(s, "河北", "all", 1000, by_id=False, name_order=True)
        assert hebei.params["q_lead_from"] == "河北"
        no_lead = search.match(s, "京市", "all", 1000, by_id=False, name_order=True)  # 京 opens no name
        assert no_lead.grams == ("京市", "#京市")
    expected = [ids[k] for k in ("bracket", "twice", "friendly", "river")]  # in name order
    listed = client.get(
        "/api/v1/customers", params={"q": "北京", "sort": "name"}, headers=org["h"]["sup"]
    ).json()
    assert [c["id"] for c in listed["items"]] == sorted(expected, key=lambda i: _name_of(ids, i))
    desc = client.get("/api/v1/customers", params={"q": "北京", "sort": "-name"}, headers=org["h"]["sup"])
    assert [c["id"] for c in desc.json()["items"]] == [c["id"] for c in listed["items"]][::-1]
    # a database whose collation does not sort by code point: no range, every posting read instead
    monkeypatch.setattr(db, "sorts_by_code_point", lambda _: False)
    with database.transaction() as s:
        found = search.match(s, "北京", "all", 1000, by_id=False, name_order=True)
        assert (found.lead, found.grams) == (None, ("北京", "#北京", "^北京"))
    again = client.get("/api/v1/customers", params={"q": "北京", "sort": "name"}, headers=org["h"]["sup"])
    assert again.json()["items"] == listed["items"]


def _name_of(ids: dict[str, int], cid: int) -> str:
    return next(SHORT_CORE_NAMES[label] for label, i in ids.items() if i == cid)


def test_list_5_a_terms_plan_is_shared_for_the_minute_and_its_matches_stay_live(
    client, org, book, approved, database, monkeypatch
):
    """LIST-5: once a term's plan is decided (its bigrams' counts read), another person's search of
    it within the minute reads no counts — and still finds what was registered since."""
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)  # the suite decides afresh (conftest)
    assert _found(client, org["h"]["sup"], "科技") == {book["friendly"], book["fortune"]}
    newer = approved("rep", name="杭州明远网络科技有限公司", contact_name="赵六", phone="0571-88886666")
    with counted(database) as seen:
        found = _found(client, org["h"]["rep"], "科技")
    assert found == {book["friendly"], book["fortune"], newer}
    assert not [s for s in seen if "customer_gram_stats" in s], "\n".join(seen)
