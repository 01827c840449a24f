"""An overloaded server (issue 22's load run: 1,000 answers of 500 from `QueuePool limit`) says so:
when no database connection comes free in time the request did nothing and answers 503 with
Retry-After, in the error shape for the API and as the error page for a page — never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from poolcrm.app import create_app
from poolcrm.config import Settings
from poolcrm.db import Database
from poolcrm.migrate import upgrade

HTML = {"Accept": "text/html"}


def test_an_exhausted_connection_pool_answers_503_with_retry_after(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'busy.db'}", pool_size=1, max_overflow=0, pool_timeout=0.2)
    upgrade(db)
    app = create_app(Settings(db_url=db.url, secret_key="busy-test", run_scheduler=False), db=db)
    with TestClient(app) as client:
        held = db.engine.connect()  # the pool's only connection, busy elsewhere
        try:
            api = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
            page = client.get("/login", headers=HTML)
            login = client.post(
                "/login", data={"username": "x", "password": "y"}, headers={"Accept": "text/html"}
            )
        finally:
            held.close()
        assert api.status_code == 503 and api.headers["Retry-After"] == "5"
        assert api.json()["error"]["code"] == "busy" and "系统繁忙" in api.json()["error"]["message"]
        assert login.status_code == 503 and "系统繁忙" in login.text
        assert page.status_code == 200  # a page that needs no database still answers
        assert client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code == 401
    db.dispose()
