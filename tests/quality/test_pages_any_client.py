"""Never a 500: the GOV-4/GOV-5/ORG-5a and NOTE-1 pages render for a script's bearer token asking
for HTML as for a browser's cookie (the page context has no logged-in user then)."""

from __future__ import annotations

from tests.conftest import auth_headers

PAGES = (
    "/",
    "/verification",
    "/exports",
    "/exports/new",
    "/quality",
    "/quality/list?check=stale",
    "/me/notifications",
    "/admin/channels",
    "/admin/deliveries",
)


def test_gov4_gov5_note1_pages_answer_a_bearer_token_without_a_server_error(client, make_user):
    make_user("admin", ["admin"], dept="总经办", kind="other")
    make_user("rep")
    for who in ("admin", "rep"):
        headers = {**auth_headers(client, who), "Accept": "text/html"}
        for path in PAGES:
            answer = client.get(path, headers=headers)
            assert answer.status_code in (200, 403), (who, path, answer.status_code)
