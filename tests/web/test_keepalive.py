"""Issue 22: a kept-alive connection serves `KEEPALIVE_REQUESTS` requests, then closes, so that
several app processes share the people between them (web/keepalive.py)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from poolcrm.web import keepalive
from poolcrm.web.keepalive import KeepAliveLimit, keepalive_requests_setting


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _headers_of(app: KeepAliveLimit, client: tuple[str, int]) -> dict[bytes, bytes]:
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    # in a thread of its own: the suite may already run an event loop in this one (the browser tests)
    runner = threading.Thread(
        target=asyncio.run, args=(app({"type": "http", "client": client}, receive, send),)
    )  # type: ignore[arg-type]
    runner.start()
    runner.join(timeout=10)
    return dict(sent[0]["headers"])  # type: ignore[call-overload]


def test_the_limit_th_request_of_a_connection_closes_it() -> None:
    app = KeepAliveLimit(_hello, limit=3)
    first = ("10.0.0.1", 5000)
    assert b"connection" not in _headers_of(app, first)
    assert b"connection" not in _headers_of(app, first)
    assert b"connection" not in _headers_of(app, ("10.0.0.2", 5000))  # another connection, counted apart
    assert _headers_of(app, first)[b"connection"] == b"close"
    assert b"connection" not in _headers_of(app, first)  # a new connection on that port counts afresh


def test_connections_tracked_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keepalive, "TRACKED_CONNECTIONS", 5)
    app = KeepAliveLimit(_hello, limit=3)
    for port in range(20):
        _headers_of(app, ("10.0.0.1", port))
    assert len(app.served) == 5


def test_no_bound_when_set_to_zero() -> None:
    app = KeepAliveLimit(_hello, limit=0)
    assert all(b"connection" not in _headers_of(app, ("10.0.0.1", 1)) for _ in range(5))


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 25), ("0", 0), ("100", 100), ("x", 25), ("-1", 25), ("9" * 9, 25)]
)
def test_the_setting(monkeypatch: pytest.MonkeyPatch, raw: str, expected: int) -> None:
    monkeypatch.setenv("POOLCRM_KEEPALIVE_REQUESTS", raw)
    assert keepalive_requests_setting() == expected


def test_uvicorn_closes_the_connection_after_the_limit() -> None:
    """Through a real server and socket: three requests on one connection, then end of file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(KeepAliveLimit(_hello, limit=3), port=port, log_level="warning", http="httptools")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            answers = []
            for _ in range(3):
                conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while not data.endswith(b"ok"):
                    data += conn.recv(4096)
                answers.append(data.lower())
            assert all(b"connection: close" not in a for a in answers[:2])
            assert b"connection: close" in answers[2]
            assert conn.recv(4096) == b""  # the server closed it
    finally:
        server.should_exit = True
        thread.join(timeout=10)
