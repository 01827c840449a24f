"""CUS-18a: a web import's state and report live in the database — after a restart the page still
says what was imported and what remains; another user cannot read it."""

from __future__ import annotations

from datetime import timedelta

from poolcrm import clock
from poolcrm.customers.models import ImportJobRecord
from tests.web.helpers import page_login


def _job(database, user_id: int, **values) -> str:
    now = clock.now()
    with database.transaction() as s:
        s.add(
            ImportJobRecord(
                id="a" * 32,
                user_id=user_id,
                filename="客户名单.xlsx",
                total=3000,
                done=1000,
                state="running",
                lang="zh",
                started_at=now - timedelta(hours=1),
                updated_at=values.pop("updated_at", now - timedelta(minutes=30)),
                result={"total": 1000, "imported": 900, "rejected": [], "mode": "private"},
                **values,
            )
        )
    return "a" * 32


def test_cus18a_an_import_cut_off_by_a_restart_says_what_was_imported(client, database, make_user):
    rep = make_user("rep")
    job_id = _job(database, rep)
    page_login(client, "rep")
    text = client.get(f"/customers/import/{job_id}/progress").text
    assert 'data-testid="import-interrupted"' in text
    assert "1000 / 3000" in text and "已导入 900 行" in text
    make_user("other")
    page_login(client, "other")
    assert "不存在" in client.get(f"/customers/import/{job_id}/progress").text


def test_cus18a_a_running_import_keeps_running_on_the_page(client, database, make_user):
    rep = make_user("rep")
    job_id = _job(database, rep, updated_at=clock.now())
    page_login(client, "rep")
    assert "正在导入" in client.get(f"/customers/import/{job_id}/progress").text


def test_cus18_starting_an_import_redirects_to_its_progress_page(client, make_user):
    make_user("rep")
    csrf = page_login(client, "rep")
    csv = "公司全称,地址,联系人,电话\n北京友好创达科技有限公司,北京市海淀区中关村大街1号,王经理,01062345678\n"
    resp = client.post(
        "/customers/import",
        data={"csrf_token": csrf},
        files={"file": ("客户.csv", csv.encode())},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text  # POST-redirect-GET: a refresh starts no second import
    where = resp.headers["location"]
    assert where.startswith("/customers/import?job=")
    page = client.get(where)
    assert page.status_code == 200 and f"/customers/import/{where.split('=')[1]}/progress" in page.text
    make_user("other")
    page_login(client, "other")
    assert "/progress" not in client.get(where).text  # another user's import is not theirs to watch
