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


def test_a_request_waits_for_a_database_slot_on_the_event_loop_and_503s_when_none_comes(
    tmp_path, monkeypatch
):
    """Issue 22 (300 users): requests that need the database wait for one of the process's slots
    (as many as the pool has connections) before taking a thread, so a thread never waits in a
    connection checkout while the requests holding the connections wait for threads. A request
    whose slot does not come in time answers 503 busy with Retry-After; the next one runs."""
    from poolcrm.web import deps

    db = Database(f"sqlite:///{tmp_path / 'slots.db'}", pool_size=2)
    upgrade(db)
    assert db.request_slots == 2
    app = create_app(Settings(db_url=db.url, secret_key="slot-test", run_scheduler=False), db=db)
    monkeypatch.setattr(deps, "SLOT_WAIT_S", 0.2)
    with TestClient(app) as client:
        slots = app.state.db_slots
        for _ in range(2):  # both slots taken, as by two requests in flight
            client.portal.call(slots.acquire)
        try:
            api = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
            page = client.get("/login", headers=HTML)  # needs no database: no slot
        finally:
            for _ in range(2):
                client.portal.call(slots.release)
        assert api.status_code == 503 and api.headers["Retry-After"] == "5"
        assert api.json()["error"]["code"] == "busy"
        assert page.status_code == 200
        assert client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code == 401
    db.dispose()
