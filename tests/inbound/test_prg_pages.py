"""POST-redirect-GET on the duty, disputes and violations pages: a form that succeeds answers 303
to a GET page that shows the result (a refresh never re-submits); a refusal re-renders the page
with the refusal's status, never a 200."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.helpers import HTML, page_login

# (who, form, fields, where the 303 goes, what the GET page then says)
DONE = [
    (
        "manager",
        "/violations",
        {"user_id": "rep1", "kind": "invalid_customer", "evidence": "登记的名称为简称，电话为空号"},
        "/violations?flash=",
        "已记录：第 1 次违规",
    ),
    (
        "admin",
        "/duty/override",
        {"day": "2026-11-26", "user_ids": "rep1", "reason": "调休"},
        "/duty?day=2026-11-26",
        "已保存值班调整",
    ),
]
# (who, form, fields, status of the re-rendered page)
REFUSED = [
    ("manager", "/violations", {"user_id": "", "kind": "invalid_customer", "evidence": "x"}, 422),
    ("admin", "/duty/override", {"day": "26/11/2026"}, 422),
    ("manager", "/duty/reinstate", {"user_id": "abc", "reason": "申诉成立"}, 422),
    ("cs", "/violations/spot-checks/1", {"verdict": "maybe"}, 422),
    ("gm", "/disputes/1/decide", {"winner_user_id": ""}, 404),
]


def _fields(fields: dict[str, str], crm: dict[str, int]) -> dict[str, str]:
    return {
        k: str(crm[v]) if k.endswith(("user_id", "user_ids")) and v in crm else v for k, v in fields.items()
    }


@pytest.mark.parametrize(("who", "url", "fields", "to", "says"), DONE, ids=[d[1] for d in DONE])
def test_a_form_that_succeeds_redirects_to_a_page_that_shows_the_result(
    client: Any, crm: dict[str, int], who: str, url: str, fields: dict[str, str], to: str, says: str
) -> None:
    csrf = page_login(client, who)
    resp = client.post(
        url, data={"csrf_token": csrf, **_fields(fields, crm)}, headers=HTML, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"].startswith(to)
    shown = client.get(resp.headers["location"], headers=HTML)
    assert shown.status_code == 200 and says in shown.text and 'class="flash ok"' in shown.text


@pytest.mark.parametrize(("who", "url", "fields", "status"), REFUSED, ids=[r[1] for r in REFUSED])
def test_a_refused_form_rerenders_with_the_refusals_status(
    client: Any, crm: dict[str, int], who: str, url: str, fields: dict[str, str], status: int
) -> None:
    csrf = page_login(client, who)
    resp = client.post(
        url, data={"csrf_token": csrf, **_fields(fields, crm)}, headers=HTML, follow_redirects=False
    )
    assert resp.status_code == status, resp.text
