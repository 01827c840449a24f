"""Local stand-ins for the vendors, checking each request as the vendor would (NOTE-1/NOTE-2):

- 企业微信 group robot: `POST /cgi-bin/webhook/send?key=K`, a `markdown`/`text` body; an unknown key
  answers errcode 93000; more than `per_minute` messages a minute answer 45009.
- 钉钉 custom robot: `POST /robot/send?access_token=T[&timestamp=ms&sign=S]`; with 加签 on, the
  timestamp must be within an hour and `sign` = urlencode(base64(HMAC-SHA256(secret,
  f"{timestamp}\\n{secret}"))), else errcode 310000; too fast: 130101.
- 飞书 custom bot: `POST /open-apis/bot/v2/hook/T`; with signing on, the body carries `timestamp`
  (seconds, within an hour) and `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", b"")),
  else code 19021; too fast: 11232.
- SMTP: a real aiosmtpd server; messages parsed back with the email package.

`script` queues answers (an HTTP status and body) to return before checking, to exercise retries.
No traffic leaves the machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


@dataclass
class Received:
    vendor: str
    token: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Robot:
    vendor: str
    token: str
    secret: str = ""
    per_minute: int = 20


@dataclass
class FakeVendors:
    """One local HTTP server answering as 企业微信, 钉钉 and 飞书 robots do."""

    robots: dict[tuple[str, str], Robot] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[str, int | str]] = field(default_factory=list)
    scripted: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)
    sent_times: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def add(self, vendor: str, token: str, secret: str = "", per_minute: int = 20) -> str:
        """Register a robot; returns its webhook address as the vendor's page shows it."""
        self.robots[(vendor, token)] = Robot(vendor, token, secret, per_minute)
        base = f"http://127.0.0.1:{self.port}"
        return {
            "wecom": f"{base}/cgi-bin/webhook/send?key={token}",
            "dingtalk": f"{base}/robot/send?access_token={token}",
            "feishu": f"{base}/open-apis/bot/v2/hook/{token}",
        }[vendor]

    def script(self, status: int, body: dict[str, Any], times: int = 1) -> None:
        for _ in range(times):
            self.scripted.append((status, body))

    def messages(self, vendor: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if vendor is None or r.vendor == vendor]

    def answer(
        self, path: str, query: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.scripted:
                return self.scripted.popleft()
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if path == "/cgi-bin/webhook/send":
            return self._wecom(params, body, headers)
        if path == "/robot/send":
            return self._dingtalk(params, body, headers)
        if path.startswith("/open-apis/bot/v2/hook/"):
            return self._feishu(path.rsplit("/", 1)[1], body, headers)
        return 404, {"error": "no such path"}

    def _throttled(self, robot: Robot) -> bool:
        now = time.monotonic()
        with self.lock:
            times = self.sent_times.setdefault((robot.vendor, robot.token), deque())
            while times and times[0] < now - 60:
                times.popleft()
            if robot.per_minute and len(times) >= robot.per_minute:
                return True
            times.append(now)
            return False

    def _keep(self, robot: Robot, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self.lock:
            self.received.append(Received(robot.vendor, robot.token, body, headers))

    def _refuse(self, vendor: str, code: int | str) -> None:
        with self.lock:
            self.refused.append((vendor, code))

    def _wecom(
        self, params: dict[str, str], body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        robot = self.robots.get(("wecom", params.get("key", "")))
        if robot is None:
            self._refuse("wecom", 93000)
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        kind = body.get("msgtype")
        content = (body.get(kind) or {}).get("content") if kind in ("text", "markdown") else None
        if not isinstance(content, str) or not content or len(content.encode()) > 4096:
            self._refuse("wecom", 40008)
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if self._throttled(robot):
            self._refuse("wecom", 45009)
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
        self._keep(robot, body, headers)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(
        self, params: dict[str, str], body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        robot = self.robots.get(("dingtalk", params.get("access_token", "")))
        if robot is None:
            self._refuse("dingtalk", 300001)
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if robot.secret:
            stamp = params.get("timestamp", "")
            # parse_qs has already URL-decoded `sign` once: what is left is the base64 text
            expected = base64.b64encode(
                hmac.new(robot.secret.encode(), f"{stamp}\n{robot.secret}".encode(), hashlib.sha256).digest()
            ).decode()
            fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3_600_000
            if not fresh or not hmac.compare_digest(params.get("sign", ""), expected):
                self._refuse("dingtalk", 310000)
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        markdown = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
            self._refuse("dingtalk", 40035)
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        if self._throttled(robot):
            self._refuse("dingtalk", 130101)
            return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        self._keep(robot, body, headers)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _feishu(
        self, token: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        robot = self.robots.get(("feishu", token))
        if robot is None:
            self._refuse("feishu", 19001)
            return 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        if robot.secret:
            stamp = str(body.get("timestamp", ""))
            expected = base64.b64encode(
                hmac.new(f"{stamp}\n{robot.secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 3600
            if not fresh or not hmac.compare_digest(str(body.get("sign", "")), expected):
                self._refuse("feishu", 19021)
                return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
        post = ((body.get("content") or {}).get("post") or {}).get("zh_cn") or {}
        if (
            body.get("msg_type") != "post"
            or not post.get("title")
            or not isinstance(post.get("content"), list)
        ):
            self._refuse("feishu", 9499)
            return 200, {"code": 9499, "msg": "Bad Request"}
        if self._throttled(robot):
            self._refuse("feishu", 11232)
            return 200, {"code": 11232, "msg": "frequency limited psm"}
        self._keep(robot, body, headers)
        return 200, {"code": 0, "msg": "success", "data": {}}


def start_vendors() -> tuple[FakeVendors, ThreadingHTTPServer]:
    fake = FakeVendors()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                status, answer = 400, {"errcode": 40008, "errmsg": "content type must be json"}
            else:
                status, answer = fake.answer(parts.path, parts.query, body, dict(self.headers))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # a vendor's listen queue is deep; the standard library's 5 overflows when two senders open
        # their threads' connections at once, and the kernel then resets one (a flaky test, not a
        # product fault: NOTE-2 retries a reset later)
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


class Mailbox:
    """aiosmtpd handler: every message received, parsed back."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def start_smtp() -> tuple[Mailbox, Controller]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    return box, controller
