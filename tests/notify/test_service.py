from tests.conftest import auth_headers


def test_note1_notify_count_and_mark_read(client, database, make_user):
    from poolcrm.notify.service import notify

    uid = make_user("rep")
    with database.transaction() as s:
        notify(s, uid, "test", "客户 {name} 将在 {n} 个工作日后被回收", name="友好创达", n=1, rule="POOL-6")
        notify(s, uid, "test", "有新的审批", dedupe_key="k1")
        assert notify(s, uid, "test", "有新的审批", dedupe_key="k1") is None
    headers = auth_headers(client, "rep")
    data = client.get("/api/v1/notifications", headers=headers).json()
    assert data["unread"] == 2
    assert "友好创达" in data["items"][1]["message"]
    first = data["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read", headers=headers).json() == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=headers).json()["unread"] == 1
    client.post("/api/v1/notifications/read-all", headers=headers)
    assert client.get("/api/v1/notifications", headers=headers).json()["unread"] == 0


def test_note1_cannot_mark_someone_elses_notification(client, database, make_user):
    from poolcrm.notify.service import notify

    a = make_user("ua")
    make_user("ub")
    with database.transaction() as s:
        note = notify(s, a, "test", "仅 A 可见")
        s.flush()
        note_id = note.id
    resp = client.post(f"/api/v1/notifications/{note_id}/read", headers=auth_headers(client, "ub"))
    assert resp.status_code == 404


def test_note1_notify_many_one_note_per_user_with_its_params_deduped(client, database, make_user):
    from poolcrm.notify.service import notify, notify_many

    a, b, c = make_user("na"), make_user("nb"), make_user("nc")
    with database.transaction() as s:
        notify(s, a, "recycled", "{count} 个客户已被回收", dedupe_key="POOL-6:2026-11-10", count=9)
        sent = notify_many(
            s, {a: {"count": 1}, b: {"count": 2}, c: {"count": 3}}, "recycled", "{count} 个客户已被回收",
            rule="POOL-6", dedupe_key="POOL-6:2026-11-10",
        )  # fmt: skip
        assert sent == sorted([b, c])
        assert notify_many(s, {b: {"count": 5}}, "recycled", "x", dedupe_key="POOL-6:2026-11-10") == []
    for user, count in (("na", "9"), ("nb", "2"), ("nc", "3")):
        items = client.get("/api/v1/notifications", headers=auth_headers(client, user)).json()["items"]
        assert [i["message"] for i in items] == [f"{count} 个客户已被回收"]


def test_note1_a_link_longer_than_its_column_is_refused_at_the_call_on_every_engine(database, make_user):
    """A link is ours and names objects by id: one carrying text that outgrows the column is a bug,
    raised by notify itself (SQLite would store it; PostgreSQL fail in the flush), never cut."""
    import pytest

    from poolcrm.notify.models import LINK_LENGTH
    from poolcrm.notify.service import Note, notify, notify_each, notify_many

    uid = make_user("rep")
    long_link = "/customers/new?name=" + "x" * LINK_LENGTH
    with database.transaction() as s:
        notify(s, uid, "test", "有新的审批", link="/x" * (LINK_LENGTH // 2))  # exactly the column fits
        for call in (
            lambda: notify(s, uid, "test", "有新的审批", link=long_link),
            lambda: notify_many(s, {uid: {}}, "test", "有新的审批", link=long_link),
            lambda: notify_each(s, [Note(uid, "k", {}, long_link)], "test", "有新的审批"),
        ):
            with pytest.raises(ValueError, match="by its id"):
                call()
