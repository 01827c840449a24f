"""`web.endpoints.OneStepRoute` (issue 22): a plain `def` endpoint and the commit of its request's
transaction run in one step through the thread pool; FastAPI reads the same parameters and answer
as from the plain endpoint; an endpoint that fails leaves nothing written."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from poolcrm import clock
from poolcrm.config import Settings
from poolcrm.db import Database
from poolcrm.migrate import upgrade
from poolcrm.org.models import Department
from poolcrm.web.deps import DB, end_transaction
from poolcrm.web.endpoints import OneStepRoute, one_step


def _department(name: str) -> Department:
    return Department(name=name, kind="sales", created_at=clock.now())


def _app(db: Database, seen: dict[str, Any]) -> FastAPI:
    router = APIRouter(route_class=OneStepRoute)

    @router.post("/departments/{name}", status_code=201)
    def add(name: str, db: DB, fail: bool = False) -> dict[str, Any]:
        seen["endpoint"] = threading.get_ident()
        event.listen(db, "after_commit", lambda _: seen.__setitem__("commit", threading.get_ident()))
        db.add(_department(name))
        db.flush()
        if fail:
            raise ValueError("after the write")
        return {"name": name}

    @router.delete("/nothing", status_code=204)
    def nothing() -> None:
        seen["nothing"] = True

    app = FastAPI()
    app.state.db = db
    app.state.settings = Settings(db_url=db.url, secret_key="one-step", run_scheduler=False)
    app.state.db_slots = asyncio.Semaphore(db.request_slots)
    app.include_router(router)
    return app


@pytest.fixture
def one_step_db(tmp_path) -> Any:
    db = Database(f"sqlite:///{tmp_path / 'one_step.db'}")
    upgrade(db)
    yield db
    db.dispose()


def test_the_endpoint_and_its_commit_run_in_one_thread_off_the_event_loop(one_step_db: Database) -> None:
    seen: dict[str, Any] = {}
    with TestClient(_app(one_step_db, seen)) as client:
        response = client.post("/departments/华东一部")
        loop_thread = client.portal.call(lambda: threading.get_ident())  # type: ignore[arg-type]
        assert response.status_code == 201 and response.json() == {"name": "华东一部"}
        assert seen["commit"] == seen["endpoint"] != loop_thread
        assert client.delete("/nothing").status_code == 204 and seen["nothing"]
    with one_step_db.transaction() as s:
        assert s.scalar(select(Department.name).where(Department.name == "华东一部")) == "华东一部"


def test_a_failing_endpoint_writes_nothing(one_step_db: Database) -> None:
    seen: dict[str, Any] = {}
    with TestClient(_app(one_step_db, seen), raise_server_exceptions=False) as client:
        assert client.post("/departments/华南一部", params={"fail": True}).status_code == 500
        assert "commit" not in seen
    with one_step_db.transaction() as s:
        assert s.scalar(select(Department.id).where(Department.name == "华南一部")) is None


def test_fastapi_reads_the_plain_endpoints_parameters_and_answer() -> None:
    def plain(name: str, db: DB, limit: int = 5) -> dict[str, Any]:
        return {}

    wrapped = one_step(plain)
    app = FastAPI()
    app.add_api_route("/x/{name}", wrapped, methods=["GET"])
    app.add_api_route("/y/{name}", plain, methods=["GET"])
    schema = app.openapi()["paths"]
    assert [p["name"] for p in schema["/x/{name}"]["get"]["parameters"]] == ["name", "limit"]
    assert schema["/x/{name}"]["get"]["parameters"] == schema["/y/{name}"]["get"]["parameters"]
    assert wrapped.__name__ == "plain" and one_step(wrapped) is wrapped  # async already: as it is


def test_a_transaction_ends_once(one_step_db: Database) -> None:
    session = one_step_db.session()
    commits: list[int] = []
    event.listen(session, "after_commit", lambda _: commits.append(1))
    session.add(_department("一次"))
    end_transaction(session)
    end_transaction(session)
    assert commits == [1]
